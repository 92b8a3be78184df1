import Foundation
import Systemd
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    private func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    @Test("each state arrives as systemd expects, one datagram per call", arguments: [false, true])
    func statesOverSocket(abstract: Bool) throws {
        let listener = try DatagramListener(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket])
        #expect(notifier.isEnabled)
        #expect(notifier.disabledReason == nil)
        #expect(notifier.notifySocket == listener.notifySocket)

        let cases: [(NotifyState, String)] = [
            (.ready, "READY=1"),
            (.status("2 workers ready"), "STATUS=2 workers ready"),
            (.status("first\nsecond\r\nthird"), "STATUS=first second  third"),
            (.watchdog, "WATCHDOG=1"),
            (.stopping, "STOPPING=1"),
            (.extendTimeout(.seconds(5)), "EXTEND_TIMEOUT_USEC=5000000"),
            (.extendTimeout(.milliseconds(1500)), "EXTEND_TIMEOUT_USEC=1500000"),
            (.mainPID(4242), "MAINPID=4242"),
            (.errno(5), "ERRNO=5"),
        ]
        for (state, expected) in cases {
            #expect(notifier.notify(state))
            #expect(listener.receive() == expected)
        }
        #expect(notifier.notify(.ready, .status("serving")))
        #expect(listener.receive() == "READY=1\nSTATUS=serving")
        #expect(listener.receive(timeout: 0.2) == nil, "one notify call must be one datagram")
    }

    @Test("reloading sends RELOADING=1 and the CLOCK_MONOTONIC time", arguments: [false, true])
    func reloading(abstract: Bool) throws {
        let listener = try DatagramListener(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket])
        let before = monotonicMicroseconds()
        #expect(notifier.notify(.reloading))
        let after = monotonicMicroseconds()
        let lines = try #require(listener.receive()).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last)
        #expect(stamp.hasPrefix("MONOTONIC_USEC="))
        let usec = try #require(UInt64(stamp.dropFirst("MONOTONIC_USEC=".count)), "not a number: \(stamp)")
        #expect(before <= usec && usec <= after)
    }

    @Test("without NOTIFY_SOCKET it is disabled and notify does nothing")
    func disabled() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(notifier.notifySocket == nil)
        #expect(notifier.disabledReason == .notifySocketUnset)
        #expect(!notifier.notify(.ready))
        #expect(throws: SystemdError.notifySocketUnset) { try notifier.send([.ready]) }
    }

    @Test("a NOTIFY_SOCKET that is no socket address disables it", arguments: [
        "relative/notify.sock", "", "@", "vsock:2:1234", "/" + String(repeating: "x", count: 200),
    ])
    func invalidSocket(value: String) throws {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": value])
        #expect(!notifier.isEnabled)
        #expect(notifier.disabledReason == .invalidNotifySocket(value))
        #expect(!notifier.notify(.ready))
        #expect(notifier.disabledReason?.description.contains("NOTIFY_SOCKET=") == true)
    }

    @Test("a socket nobody listens on fails softly with a readable error")
    func nobodyListening() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vkst-\(UUID().uuidString).sock").path
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        #expect(notifier.isEnabled)
        #expect(!notifier.notify(.ready))
        let error = #expect(throws: SystemdError.self) { try notifier.send([.ready]) }
        #expect(error == .sendFailed(socket: path, errno: ENOENT))
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("No such file") == true)
    }

    @Test("WATCHDOG_USEC and WATCHDOG_PID")
    func watchdog() {
        let me = "\(getpid())"
        let env = ["NOTIFY_SOCKET": "/run/systemd/notify"]
        let plain = SystemdNotifier(environment: env.merging(["WATCHDOG_USEC": "3000000"]) { $1 })
        #expect(plain.watchdogInterval == .seconds(3))
        #expect(plain.watchdogPingInterval == .milliseconds(1500))
        let ours = SystemdNotifier(environment: ["WATCHDOG_USEC": "250000", "WATCHDOG_PID": me])
        #expect(ours.watchdogInterval == .milliseconds(250))
        let other = SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getpid() + 1)"])
        #expect(other.watchdogInterval == nil, "WATCHDOG_PID names another process")
        #expect(other.watchdogPingInterval == nil)
        for bad in ["", "abc", "0", "-5", "1.5", "99999999999999999999999"] {
            #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": bad]).watchdogInterval == nil, "\(bad)")
        }
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "x"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
    }

    @Test("the message format, and what children must not inherit")
    func messageAndChildEnvironment() {
        #expect(SystemdNotifier.message(for: [.ready, .status("a\u{0}b")]) == "READY=1\nSTATUS=a b")
        #expect(SystemdNotifier.message(for: [.extendTimeout(.seconds(-1))]) == "EXTEND_TIMEOUT_USEC=0")
        #expect(SystemdNotifier.childEnvironmentKeys == [
            "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
        ])
        var env = ["PATH": "/usr/bin", "HOME": "/var/lib/vkserve"]
        for key in SystemdNotifier.childEnvironmentKeys { env[key] = "1" }
        #expect(SystemdNotifier.childEnvironment(env) == ["PATH": "/usr/bin", "HOME": "/var/lib/vkserve"])
    }
}
