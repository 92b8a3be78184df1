// Helpers the end-to-end test targets share: paths to the repository and the built products, polling,
// running a command, a free port. A library target of its own, so each test target does not carry a copy.
import Foundation

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum Paths {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let smol = root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    public static let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    public static func product(_ name: String) -> String { products.appendingPathComponent(name).path }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns the seconds it took.
@discardableResult
public func waitUntil(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws -> Double {
    let start = Date()
    while true {
        if try condition() { return Date().timeIntervalSince(start) }
        if Date().timeIntervalSince(start) > timeout { throw TestFailure("timed out after \(timeout) s waiting for \(what)") }
        usleep(50_000)
    }
}

/// Runs a command to completion: exit status, stdout, stderr. Both pipes are drained at once (a child that
/// fills one while the other is read cannot stall), and a child still running after `timeout` seconds is
/// killed and reported as a failure rather than hanging the test.
@discardableResult
public func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       timeout: Double = 600) throws -> (status: Int32, out: String, err: String)
{
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let output = try ChildOutput(running: p)
    return try output.finish(p, what: "\(executable) \(arguments.joined(separator: " "))", timeout: timeout)
}

/// Whether a process exists and is not a zombie.
public func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// A TCP port on 127.0.0.1 nobody listens on right now.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
        }
    }
    guard ok else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A deterministic random number generator (SplitMix64) for seeded test cases.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A random byte.
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    /// Uniform in [0, 1), 24 bits.
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Uniform in [lo, hi).
    public mutating func float(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }
    /// Roughly normal (a sum of four uniforms, centred), like activations.
    public mutating func gauss() -> Float { (0 ..< 4).reduce(Float(0)) { s, _ in s + unit() } - 2 }
    /// Uniform in [lo, hi) through the standard library's conversion.
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { Float.random(in: lo ..< hi, using: &self) }
    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne ..< 1, using: &self)
        let u2 = Double.random(in: 0 ..< 1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
    /// `n` floats uniform in [-scale, scale].
    public mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0 ..< n).map { _ in Float.random(in: -scale ... scale, using: &self) }
    }
}
