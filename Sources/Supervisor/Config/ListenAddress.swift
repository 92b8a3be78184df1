#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks of the `listen` value: `HOST:PORT` with an IPv4 address, a bracketed IPv6 address or a host name,
/// and a port 1...65535.
enum ListenAddress {
    /// What is wrong with `text`, or `nil` when it is a valid address.
    static func problem(_ text: String) -> String? {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return "the IPv6 address has no closing ']'"
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                return "a ':' and a port must follow the IPv6 address"
            }
            port = rest.dropFirst()
            guard isIPv6(String(host)) else {
                return "'\(host)' is not an IPv6 address"
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return "the port is missing"
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") {
                return "an IPv6 address must be in brackets, as in [::1]:8080"
            }
            if let problem = hostProblem(host) {
                return problem
            }
        }
        guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }),
              let number = Int(port), (1...65535).contains(number)
        else {
            return "the port must be a number 1...65535, got '\(port)'"
        }
        return nil
    }

    private static func hostProblem(_ host: Substring) -> String? {
        if host.isEmpty {
            return "the host is missing"
        }
        if host.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            return isIPv4(String(host)) ? nil : "'\(host)' is not an IPv4 address"
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = host.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        return valid ? nil : "'\(host)' is neither an IPv4 address nor a valid host name"
    }

    private static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    private static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
