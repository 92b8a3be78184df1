import Supervisor
import Testing
import WorkerProtocol

@Suite("restart policy, stall detection and exit classification")
struct PolicyTests {
    func policy() -> RestartPolicy {
        RestartPolicy(initial: .seconds(1), maximum: .seconds(60), fatalAfter: 5, fatalRetry: .seconds(300),
                      stableAfter: .seconds(60))
    }

    @Test("backoff doubles from the initial delay, is capped, and turns fatal after fatal_after failures in a row")
    func backoff() {
        var p = policy()
        #expect(p.failed(readyFor: nil) == .backoff(.seconds(1)))
        #expect(p.failed(readyFor: .seconds(5)) == .backoff(.seconds(2)))
        #expect(p.failed(readyFor: nil) == .backoff(.seconds(4)))
        #expect(p.failed(readyFor: nil) == .backoff(.seconds(8)))
        #expect(p.failed(readyFor: nil) == .fatal(.seconds(300)))
        #expect(p.failures == 5)
        #expect(p.delay(after: 7) == .seconds(60) && p.delay(after: 100) == .seconds(60))
    }

    @Test("a stable run resets the count; so does reset()")
    func stableRunResets() {
        var p = policy()
        _ = p.failed(readyFor: nil)
        _ = p.failed(readyFor: nil)
        #expect(p.failed(readyFor: .seconds(61)) == .backoff(.seconds(1)))
        _ = p.failed(readyFor: nil)
        p.reset()
        #expect(p.failures == 0 && p.failed(readyFor: nil) == .backoff(.seconds(1)))
    }

    func beat(inFlight: Int, steps: UInt64, queued: Int = 0) -> Heartbeat {
        Heartbeat(sequence: steps, state: inFlight > 0 ? .busy : .ready, inFlight: inFlight, queued: queued, steps: steps,
                  tokens: steps, requestsDone: 0,
                  memory: MemoryFigures(vramUsed: nil, vramBudget: nil, rss: nil, kvReserved: nil), uptimeS: 1)
    }

    @Test("counters standing still with work in flight is a stall; idle or progressing is not")
    func stall() {
        let t0 = ContinuousClock.now
        var d = StallDetector(timeout: .seconds(15))
        d.observe(beat(inFlight: 0, steps: 5), at: t0)
        d.observe(beat(inFlight: 0, steps: 5), at: t0 + .seconds(100))
        #expect(d.stalled(at: t0 + .seconds(200)) == nil, "idle is not a stall")
        d.observe(beat(inFlight: 2, steps: 6), at: t0 + .seconds(200))
        d.observe(beat(inFlight: 2, steps: 7), at: t0 + .seconds(210))
        d.observe(beat(inFlight: 2, steps: 7), at: t0 + .seconds(220))
        #expect(d.stalled(at: t0 + .seconds(224)) == nil, "still for 14 s")
        #expect(d.stalled(at: t0 + .seconds(226)) == .seconds(16))
        d.observe(beat(inFlight: 2, steps: 8), at: t0 + .seconds(227))
        #expect(d.stalled(at: t0 + .seconds(230)) == nil, "progress clears it")
        d.observe(beat(inFlight: 0, steps: 0, queued: 3), at: t0 + .seconds(231))
        d.observe(beat(inFlight: 0, steps: 0, queued: 3), at: t0 + .seconds(232))
        #expect(d.stalled(at: t0 + .seconds(247)) == .seconds(16), "queued work that never starts is a stall too")
    }

    @Test("exits are classified from the supervisor's own kill, the worker's fault, then the exit status")
    func classification() {
        #expect(ExitReason.classify(status: .signaled(9), killedFor: .hang, fault: nil, requested: false) == .hang)
        #expect(ExitReason.classify(status: .exited(1), killedFor: nil, fault: .deviceLost, requested: false) == .deviceLost)
        #expect(ExitReason.classify(status: .exited(4), killedFor: nil, fault: nil, requested: false) == .noDevice)
        #expect(ExitReason.classify(status: .exited(5), killedFor: nil, fault: nil, requested: false) == .outOfDeviceMemory)
        #expect(ExitReason.classify(status: .exited(6), killedFor: nil, fault: nil, requested: false) == .deviceLost)
        #expect(ExitReason.classify(status: .exited(3), killedFor: nil, fault: nil, requested: false) == .badModel)
        #expect(ExitReason.classify(status: .exited(7), killedFor: nil, fault: nil, requested: false) == .crash)
        #expect(ExitReason.classify(status: .signaled(11), killedFor: nil, fault: nil, requested: false) == .crash)
        #expect(ExitReason.classify(status: .exited(0), killedFor: nil, fault: nil, requested: true) == .stopped)
        #expect(ExitReason.classify(status: .exited(0), killedFor: nil, fault: nil, requested: false) == .unexpectedExit)
        #expect(ExitReason.classify(status: nil, killedFor: nil, fault: nil, requested: false) == .spawnFailed)
        #expect(ExitReason.allCases.filter(\.isDeviceFailure) == [.noDevice, .outOfDeviceMemory, .deviceLost])
        #expect("\(ExitStatus.signaled(9))" == "killed by SIGKILL" && "\(ExitStatus.exited(7))" == "exit code 7")
    }
}
