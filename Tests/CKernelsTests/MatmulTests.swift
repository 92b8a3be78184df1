import CKernels
import Foundation
import TestHarness
import Testing

@Suite(.serialized) struct MatmulTests {
    @Test(arguments: T.weightTypes)
    func matmulEqualsPerRowVecDot(type: Int32) throws {
        var rng = SplitMix64(seed: 0x3A + UInt64(type))
        let n = T.testLength(type)
        let rows = 37   // not a multiple of the 4-row tile
        let w = randomWeights(type, n: n, rows: rows, rng: &rng)
        let dt = ck_vec_dot_type(type)
        let xrs = rowSize(dt, n)
        for level in Int32(0) ... maxISALevel {   // every family the machine runs
            for threads in [1, 2] {
                let pool = try #require(ck_pool_create(Int32(threads)))
                defer { ck_pool_destroy(pool) }
                for nTok in [1, 3, 5, 8, 9, 12, 13, 64] {   // > 4: unpacked once per row tile; 5, 13: a part-filled group of 8; 9, 12: a last group of 1 or 4 (two rows per register)
                    let xStride = n + 5, outStride = rows + 3
                    var x = [Float](repeating: .nan, count: nTok * xStride)
                    for t in 0..<nTok {
                        let row = randomActivations(n, rng: &rng)
                        for j in 0..<n { x[t * xStride + j] = row[j] }
                    }
                    let xq = (0..<nTok).flatMap { t in ckQuantize(dt, Array(x[(t * xStride)..<(t * xStride + n)])) }
                    var outQ = [Float](repeating: -12345, count: nTok * outStride)
                    var outF = outQ
                    var scratch = [UInt8](repeating: 0, count: nTok * xrs)
                    withISA(level) {
                        w.withUnsafeBytes { wp in
                            xq.withUnsafeBytes { xp in
                                ck_matmul_q(pool, type, wp.baseAddress, Int64(n), Int64(rows), xp.baseAddress,
                                            Int64(nTok), &outQ, Int64(outStride))
                            }
                            scratch.withUnsafeMutableBytes { sp in
                                ck_matmul(pool, type, wp.baseAddress, Int64(n), Int64(rows), x, Int64(xStride),
                                          Int64(nTok), sp.baseAddress, &outF, Int64(outStride))
                            }
                        }
                        #expect(scratch == xq, "\(T.name(type)): ck_matmul's converted activations differ")
                        var bad = [(Int, Int, Float, Float)]()
                        for t in 0..<nTok {
                            for r in 0..<rows {
                                let want = ckVecDot(type, n: n, w, wOffset: r * rowSize(type, n), xq, xOffset: t * xrs)
                                let a = outQ[t * outStride + r], b = outF[t * outStride + r]
                                if a != want || b != want { bad.append((t, r, a, want)) }
                            }
                            for r in rows..<outStride where outQ[t * outStride + r] != -12345 { bad.append((t, r, 0, 0)) }
                        }
                        #expect(bad.isEmpty, "\(T.name(type)) level \(level) threads \(threads) n_tok \(nTok): \(bad.prefix(4))")
                    }
                }
            }
        }
    }
}

/// Per-thread counters, one cache line each, written by the pool's threads through a raw pointer.
final class Counters: @unchecked Sendable {
    static let stride = 8
    let slots = UnsafeMutablePointer<Int>.allocate(capacity: 16 * Counters.stride)
    init() { slots.initialize(repeating: 0, count: 16 * Counters.stride) }
    deinit { slots.deallocate() }
    func count(_ i: Int) -> Int { slots[i * Counters.stride] }
    var badIndex: Int { slots[8 * Counters.stride] }
    var nth: Int { slots[9 * Counters.stride] }
}

@Suite struct PoolTests {
    @Test(arguments: [1, 2, 3])
    func poolRunsEveryThreadEveryTime(threads: Int) throws {
        let pool = try #require(ck_pool_create(Int32(threads)))
        #expect(ck_pool_size(pool) == Int32(threads))
        let counters = Counters()
        let task: ck_task_fn = { ctx, ith, nth in
            let slots = ctx!.assumingMemoryBound(to: Int.self)
            if ith < 0 || ith >= nth || ith >= 8 { slots[8 * Counters.stride] += 1; return }
            slots[Int(ith) * Counters.stride] += 1   // each thread owns its slot
            if ith == 0 { slots[9 * Counters.stride] = Int(nth) }
        }
        let runs = 10_000
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<runs {
            ck_pool_run(pool, task, counters.slots)
            // every worker must have finished before ck_pool_run returns
            if i % 1000 == 0 {
                for k in 0..<threads { #expect(counters.count(k) == i + 1) }
            }
        }
        let perRun = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(runs) / 1000
        ck_pool_destroy(pool)
        #expect(counters.badIndex == 0)
        #expect(counters.nth == threads)
        #expect((0..<8).map { counters.count($0) } == (0..<8).map { $0 < threads ? runs : 0 })
        print("ck_pool_run with \(threads) threads: \(String(format: "%.2f", perRun)) µs per run")
    }

    @Test func poolSurvivesIdleSleepAndDestroy() throws {
        let pool = try #require(ck_pool_create(2))
        let counters = Counters()
        let task: ck_task_fn = { ctx, ith, _ in ctx!.assumingMemoryBound(to: Int.self)[Int(ith) * Counters.stride] += 1 }
        for _ in 0..<3 {
            usleep(2000)   // long enough for the worker to go to sleep on the futex
            ck_pool_run(pool, task, counters.slots)
        }
        ck_pool_destroy(pool)
        #expect(counters.count(0) == 3 && counters.count(1) == 3)
    }
}
