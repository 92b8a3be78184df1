import CKernels
import Foundation
import TestHarness
import Testing

/// Throughput of ck_matmul on the shapes that dominate decode. Disabled unless CK_BENCH is set:
/// `CK_BENCH=1 swift test -c release --filter MatmulBenchmark`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CK_BENCH"] != nil))
struct MatmulBenchmark {
    struct Shape { let type: Int32; let n: Int; let rows: Int }

    static func randomMatrix(_ s: Shape) -> UnsafeMutableRawBufferPointer {
        let bytes = rowSize(s.type, s.n) * s.rows
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        var rng = SplitMix64(seed: 1)
        let words = buf.bindMemory(to: UInt64.self)
        for i in 0..<(bytes / 8) { words[i] = rng.next() }
        let blockBytes = s.type == T.q8_0 ? 34 : 20
        var off = 0
        while off + blockBytes <= bytes {   // sane f16 scales (d, and m for Q4_1)
            buf.storeBytes(of: Float16(0.01).bitPattern, toByteOffset: off, as: UInt16.self)
            if s.type == T.q4_1 { buf.storeBytes(of: Float16(-0.05).bitPattern, toByteOffset: off + 2, as: UInt16.self) }
            off += blockBytes
        }
        return buf
    }

    func measure(_ s: Shape, nTok: Int, threads: Int, minSeconds: Double) -> Double {
        let w = Self.randomMatrix(s)
        defer { w.deallocate() }
        var rng = SplitMix64(seed: 2)
        let x = (0..<(nTok * s.n)).map { _ in rng.gauss() }
        let dt = ck_vec_dot_type(s.type)
        var scratch = [UInt8](repeating: 0, count: nTok * rowSize(dt, s.n))
        var out = [Float](repeating: 0, count: nTok * s.rows)
        let pool = ck_pool_create(Int32(threads))
        defer { ck_pool_destroy(pool) }
        func once() {
            scratch.withUnsafeMutableBytes { sp in
                ck_matmul(pool, s.type, w.baseAddress, Int64(s.n), Int64(s.rows), x, Int64(s.n), Int64(nTok),
                          sp.baseAddress, &out, Int64(s.rows))
            }
        }
        once()
        var iters = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            once()
            iters += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minSeconds
        return elapsed / Double(iters)
    }

    @Test func decodeAndPrefillThroughput() {
        // SmolLM2's FFN and logits, gemma-3's logits; 12 tokens: the 12-client decode step
        let shapes = [Shape(type: T.q4_1, n: 576, rows: 1536), Shape(type: T.q8_0, n: 576, rows: 49_152),
                      Shape(type: T.q8_0, n: 640, rows: 262_144)]
        print("CKernels family: \(String(cString: ck_isa_name()))")
        for s in shapes {
            let bytes = Double(rowSize(s.type, s.n) * s.rows)
            for threads in [1, 2] {
                let t1 = measure(s, nTok: 1, threads: threads, minSeconds: 1)
                let t12 = measure(s, nTok: 12, threads: threads, minSeconds: 1)
                let t64 = measure(s, nTok: 64, threads: threads, minSeconds: 1)
                let gops = { (t: Double, k: Double) in 2 * Double(s.n) * Double(s.rows) * k / t / 1e9 }
                print(String(format: "%@ %dx%d threads=%d: n_tok=1 %.1f µs, %.2f GB/s; n_tok=12 %.3f ms, %.1f GOP/s; n_tok=64 %.2f ms, %.1f GOP/s",
                             T.name(s.type), s.n, s.rows, threads, t1 * 1e6, bytes / t1 / 1e9,
                             t12 * 1e3, gops(t12, 12), t64 * 1e3, gops(t64, 64)))
            }
        }
    }
}
