import Foundation
import GGUF
import TestHarness
import Testing

/// The package root: three levels above this file (Tests/GGUFTests/Support.swift).
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Path of a model under `<root>/models/`; records a failure (and returns nil) when it is absent.
func modelPath(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    let path = repoRoot.appendingPathComponent("models").appendingPathComponent(name).path
    guard FileManager.default.fileExists(atPath: path) else {
        Issue.record("model \(path) is missing: run scripts/fetch-models.sh", sourceLocation: sourceLocation)
        return nil
    }
    return path
}

let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
let gemma3 = "gemma-3-270m-q4_k_m.gguf"

/// A fresh directory under the system temp directory, removed by the caller with `removeTemp`.
func makeTempDir() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
/// Test data shapes that stress quantizers differently.
enum Distribution: String, CaseIterable, CustomStringConvertible {
    case uniform, gaussian, heavyTailed, offset, weightLike
    var description: String { rawValue }

    func sample(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        switch self {
        case .uniform: return (0 ..< n).map { _ in rng.uniform(-1, 1) }
        case .gaussian: return (0 ..< n).map { _ in rng.gaussian() }
        // Student-t-like: a gaussian divided by a random scale, with occasional outliers.
        case .heavyTailed: return (0 ..< n).map { _ in rng.gaussian() / max(0.25, rng.uniform(0, 1)) }
        case .offset: return (0 ..< n).map { _ in 2 + 0.5 * rng.gaussian() }
        // Small-magnitude weights like a trained matrix (σ ≈ 0.02).
        case .weightLike: return (0 ..< n).map { _ in 0.02 * rng.gaussian() }
        }
    }
}

/// RMS of (a − b) divided by RMS of a.
func relativeRMSError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var err = 0.0, ref = 0.0
    for (x, y) in zip(a, b) {
        err += Double(x - y) * Double(x - y)
        ref += Double(x) * Double(x)
    }
    return (err / ref).squareRoot()
}

func rmsError(_ a: [Float], _ b: [Float]) -> Double {
    var err = 0.0
    for (x, y) in zip(a, b) { err += Double(x - y) * Double(x - y) }
    return (err / Double(a.count)).squareRoot()
}

/// Little-endian byte helpers for hand-built blocks.
extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}

/// Reads a binary16 by hand (a decoder independent of the module's).
func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = h & 0x8000 != 0 ? -1 : 1
    let e = Int((h >> 10) & 0x1f), m = Float(h & 0x3ff)
    if e == 0 { return sign * m * Float(pow(2.0, -24.0)) }
    if e == 31 { return m == 0 ? sign * .infinity : .nan }
    return sign * (1 + m / 1024) * Float(pow(2.0, Double(e - 15)))
}
