import Foundation

/// GPU figures from `nvidia-smi` where it is installed: memory, temperature, utilisation, power.
public struct GPUReading: Codable, Sendable, Equatable {
    public var index: Int
    public var name: String
    public var memoryUsedBytes: Double?
    public var memoryTotalBytes: Double?
    public var temperatureC: Double?
    public var utilizationPercent: Double?
    public var powerWatts: Double?

    enum CodingKeys: String, CodingKey {
        case index, name
        case memoryUsedBytes = "memory_used_bytes"
        case memoryTotalBytes = "memory_total_bytes"
        case temperatureC = "temperature_c"
        case utilizationPercent = "utilization_percent"
        case powerWatts = "power_w"
    }
}

public enum NvidiaSMI {
    static let query = "index,name,memory.used,memory.total,temperature.gpu,utilization.gpu,power.draw"

    /// The binary, if there is one on PATH.
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/nvidia-smi" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// One reading per GPU; empty without nvidia-smi or when it fails.
    static func read() -> [GPUReading] {
        guard let path else { return [] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["--query-gpu=\(query)", "--format=csv,noheader,nounits"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return [] }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return [] }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// Parses `--format=csv,noheader,nounits` output of ``query`` (MiB, °C, %, W; `[N/A]` where unknown).
    public static func parse(_ text: String) -> [GPUReading] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 7, let index = Int(f[0]) else { return nil }
            func number(_ s: String) -> Double? { Double(s) }
            return GPUReading(
                index: index, name: f[1], memoryUsedBytes: number(f[2]).map { $0 * 1_048_576 },
                memoryTotalBytes: number(f[3]).map { $0 * 1_048_576 }, temperatureC: number(f[4]),
                utilizationPercent: number(f[5]), powerWatts: number(f[6]))
        }
    }
}
