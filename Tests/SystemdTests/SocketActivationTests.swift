import Systemd
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("SocketActivation")
struct SocketActivationTests {
    let pid: Int32 = 1234

    @Test("sockets meant for another process are not ours")
    func pidMismatch() {
        let env = ["LISTEN_PID": "1235", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:control"]
        #expect(SocketActivation.parse(environment: env, pid: pid).isEmpty)
        var noPID = env
        noPID["LISTEN_PID"] = nil
        #expect(SocketActivation.parse(environment: noPID, pid: pid).isEmpty)
        // The real process is not 1235's recipient either.
        var other = env
        other["LISTEN_PID"] = "\(getpid() + 1)"
        #expect(SocketActivation.listeningSockets(environment: other).isEmpty)
        #expect(SocketActivation.listeningSockets(environment: [:]).isEmpty)
    }

    @Test("two named sockets start at descriptor 3")
    func namedSockets() {
        let env = ["LISTEN_PID": "1234", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:control"]
        #expect(SocketActivation.parse(environment: env, pid: pid) == [
            ActivatedSocket(fd: 3, name: "http"), ActivatedSocket(fd: 4, name: "control"),
        ])
    }

    @Test("names are dropped when absent, empty or not one per descriptor")
    func names() {
        let unnamed = SocketActivation.parse(environment: ["LISTEN_PID": "1234", "LISTEN_FDS": "2"], pid: pid)
        #expect(unnamed == [ActivatedSocket(fd: 3, name: nil), ActivatedSocket(fd: 4, name: nil)])
        let wrongCount = ["LISTEN_PID": "1234", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "http:control"]
        #expect(SocketActivation.parse(environment: wrongCount, pid: pid).map(\.name) == [nil, nil, nil])
        let empty = ["LISTEN_PID": "1234", "LISTEN_FDS": "2", "LISTEN_FDNAMES": ":control"]
        #expect(SocketActivation.parse(environment: empty, pid: pid).map(\.name) == [nil, "control"])
    }

    @Test("malformed counts give no sockets", arguments: ["", "0", "-1", "two", "4097", "99999999999999999999"])
    func badCounts(count: String) {
        #expect(SocketActivation.parse(environment: ["LISTEN_PID": "1234", "LISTEN_FDS": count], pid: pid).isEmpty)
    }
}
