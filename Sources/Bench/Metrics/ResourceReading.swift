import Foundation

/// Memory and device figures at one moment: the workers' VRAM and RSS from vkserved's /metrics, the
/// supervisor's RSS when its process is readable here, and nvidia-smi's GPUs where present.
public struct ResourceReading: Codable, Sendable {
    public struct Worker: Codable, Sendable, Equatable {
        public var vramUsedBytes: Double?
        public var rssBytes: Double?
        public var up: Bool?

        enum CodingKeys: String, CodingKey {
            case vramUsedBytes = "vram_used_bytes"
            case rssBytes = "rss_bytes"
            case up
        }
    }

    /// Seconds since the start of the run.
    public var tS: Double
    /// Sum over workers; nil when no worker reports VRAM (CPU workers).
    public var vramUsedBytes: Double?
    public var vramBudgetBytes: Double?
    public var workerRSSBytes: Double?
    public var supervisorRSSBytes: Double?
    public var workersUp: Int?
    public var inFlight: Int?
    public var queueDepth: Int?
    public var workers: [String: Worker]
    public var gpus: [GPUReading]
    /// Why /metrics could not be read, if it could not.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case tS = "t_s"
        case vramUsedBytes = "vram_used_bytes"
        case vramBudgetBytes = "vram_budget_bytes"
        case workerRSSBytes = "worker_rss_bytes"
        case supervisorRSSBytes = "supervisor_rss_bytes"
        case workersUp = "workers_up"
        case inFlight = "in_flight"
        case queueDepth = "queue_depth"
        case workers, gpus, error
    }

    public init(tS: Double, metrics: PrometheusText?, supervisorPID: Int32?, gpus: [GPUReading], error: String? = nil) {
        self.tS = tS
        self.gpus = gpus
        self.error = error
        supervisorRSSBytes = supervisorPID.flatMap(Self.residentBytes(pid:))
        workers = [:]
        guard let m = metrics else { return }
        // A supervisor that exports the standard process metric is measured from afar too.
        if let rss = m.sum("process_resident_memory_bytes") { supervisorRSSBytes = rss }
        let vram = m.byLabel("vkserve_worker_vram_used_bytes", "worker")
        let rss = m.byLabel("vkserve_worker_rss_bytes", "worker")
        let up = m.byLabel("vkserve_worker_up", "worker")
        for name in Set(vram.keys).union(rss.keys).union(up.keys) {
            workers[name] = Worker(vramUsedBytes: vram[name], rssBytes: rss[name], up: up[name].map { $0 > 0 })
        }
        vramUsedBytes = vram.isEmpty ? nil : vram.values.reduce(0, +)
        vramBudgetBytes = m.sum("vkserve_worker_vram_budget_bytes")
        workerRSSBytes = rss.isEmpty ? nil : rss.values.reduce(0, +)
        workersUp = up.isEmpty ? nil : up.values.filter { $0 > 0 }.count
        inFlight = m.sum("vkserve_worker_in_flight").map { Int($0) }
        queueDepth = m.sum("vkserve_queue_depth").map { Int($0) }
    }

    /// VmRSS of a local process, from /proc.
    static func residentBytes(pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    /// The hottest GPU's temperature.
    public var gpuTemperatureC: Double? { gpus.compactMap(\.temperatureC).max() }
    public var gpuMemoryUsedBytes: Double? {
        let v = gpus.compactMap(\.memoryUsedBytes)
        return v.isEmpty ? nil : v.reduce(0, +)
    }
}
