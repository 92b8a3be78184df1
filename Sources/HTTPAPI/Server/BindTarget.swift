/// `listen` split into host and port ("127.0.0.1:8080", "[::1]:8080", "localhost:8080").
struct BindTarget: Equatable {
    let host: String
    let port: Int

    init?(_ listen: String) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0 ... 65535).contains(port) else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}
