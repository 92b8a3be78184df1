import CProcess
import Foundation

/// Who is at the other end of a control connection, and whether they may use it: root, the
/// supervisor's own user, or a member of the control group.
struct PeerCredentials: Sendable, CustomStringConvertible {
    let uid: uid_t
    let gid: gid_t
    let pid: pid_t
    /// Supplementary groups as the kernel recorded them at connect() (SO_PEERGROUPS); from /proc only on a
    /// kernel without it (under systemd's ProtectProc=invisible other users' /proc entries are hidden).
    let groups: [gid_t]

    init?(fd: Int32) {
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var pid: Int32 = 0
        guard vk_peer_credentials(fd, &uid, &gid, &pid) == 0 else { return nil }
        self.uid = uid
        self.gid = gid
        self.pid = pid
        groups = Self.socketGroups(fd) ?? Self.supplementaryGroups(of: pid)
    }

    func mayControl(allowedGroup: gid_t) -> Bool {
        uid == 0 || uid == geteuid() || gid == allowedGroup || groups.contains(allowedGroup)
    }

    var description: String { "uid \(uid) gid \(gid) pid \(pid)" }

    private static func socketGroups(_ fd: Int32) -> [gid_t]? {
        var capacity = 64
        while capacity <= 65536 {
            var buffer = [UInt32](repeating: 0, count: capacity)
            let count = vk_peer_groups(fd, &buffer, Int32(capacity))
            if count >= 0 { return Array(buffer.prefix(Int(count))) }
            guard errno == ERANGE else { return nil }
            capacity *= 4
        }
        return nil
    }

    private static func supplementaryGroups(of pid: pid_t) -> [gid_t] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
                .compactMap { gid_t($0) }
        }
        return []
    }
}
