import Foundation

/// A run read back from its folder: summary.json and the JSON-lines files beside it.
public struct StoredRun: Sendable {
    public let dir: String
    public let kind: String
    public let load: LoadSummary?
    public let soak: SoakSummary?
    public let outcomes: [RequestOutcome]
    public let readings: [ResourceReading]
    public let samples: [SoakSample]

    private struct Kind: Decodable { var kind: String }

    public init(_ dir: String) throws {
        self.dir = dir
        let base = URL(fileURLWithPath: dir)
        func path(_ name: String) -> String { base.appendingPathComponent(name).path }
        let summaryPath = path("summary.json")
        let requests = path("requests.jsonl")
        outcomes =
            FileManager.default.fileExists(atPath: requests)
            ? try JSONLinesWriter.read(RequestOutcome.self, from: requests) : []
        guard FileManager.default.fileExists(atPath: summaryPath) else {
            // A soak killed before its end: judge what its samples say.
            guard FileManager.default.fileExists(atPath: path("soak.json")) else {
                throw BenchFailure("\(dir) holds no summary.json: is it the --out folder of a bench load or soak run?")
            }
            let start = try JSONFiles.read(SoakStart.self, from: path("soak.json"))
            samples = try JSONLinesWriter.read(SoakSample.self, from: path("samples.jsonl"))
            readings = samples.map(\.resources)
            kind = "soak"
            load = nil
            soak = SoakJudge.summarize(
                config: start.configuration, startedAt: start.startedAt, model: start.model, samples: samples,
                restarts: samples.flatMap(\.restarts), latency: nil, bursts: 0, lateBursts: 0, complete: false)
            return
        }
        kind = try JSONFiles.read(Kind.self, from: summaryPath).kind
        switch kind {
        case "load":
            load = try JSONFiles.read(LoadSummary.self, from: summaryPath)
            soak = nil
            let samplesPath = path("samples.jsonl")
            readings =
                FileManager.default.fileExists(atPath: samplesPath)
                ? try JSONLinesWriter.read(ResourceReading.self, from: samplesPath) : []
            samples = []
        case "soak":
            soak = try JSONFiles.read(SoakSummary.self, from: summaryPath)
            load = nil
            samples = try JSONLinesWriter.read(SoakSample.self, from: path("samples.jsonl"))
            readings = samples.map(\.resources)
        default:
            throw BenchFailure("\(summaryPath) is of kind '\(kind)', which this vkserve cannot render")
        }
    }

    public var name: String { URL(fileURLWithPath: dir).lastPathComponent }
}

/// `vkserve bench report`: renders a run's report again from its files, or compares two runs.
public enum BenchReport {
    /// Re-renders report.md and the charts of the run in `dir` into `out` (default: `dir`).
    public static func render(_ dir: String, out: String? = nil) throws -> String {
        let run = try StoredRun(dir)
        let target = out ?? dir
        try JSONFiles.makeDirectory(target)
        if let load = run.load {
            try LoadReport.write(summary: load, outcomes: run.outcomes, readings: run.readings, to: target)
            return load.text
        }
        if let soak = run.soak {
            try SoakReport.write(summary: soak, samples: run.samples, outcomes: run.outcomes, to: target)
            return soak.text
        }
        throw BenchFailure("nothing to render in \(dir)")
    }

    /// Judges a finished soak in `dir` again from its samples under today's rules (and, when given, another
    /// `minWindowRequests`), keeping its latency histograms; rewrites summary.json. Returns the new verdict text.
    public static func rejudgeSoak(_ dir: String, minWindowRequests: Int? = nil) throws -> String {
        let run = try StoredRun(dir)
        guard var stored = run.soak, run.kind == "soak" else {
            throw BenchFailure("\(dir) is not a finished soak: only a soak's summary can be judged again")
        }
        if let minWindowRequests { stored.configuration.minWindowRequests = minWindowRequests }
        var fresh = SoakJudge.summarize(
            config: stored.configuration, startedAt: stored.startedAt, model: stored.model, samples: run.samples,
            restarts: stored.restarts, latency: nil, bursts: stored.bursts, lateBursts: stored.lateBursts,
            complete: stored.complete)
        fresh.latency = stored.latency
        fresh.histograms = stored.histograms
        fresh.durationS = stored.durationS
        fresh.protocolDurationS = stored.protocolDurationS
        fresh.notes = stored.notes
        try JSONFiles.write(fresh, to: (dir as NSString).appendingPathComponent("summary.json"))
        return fresh.text
    }

    /// Compares run `a` (before) with run `b` (after): a table of figures with deltas, better or worse, and
    /// overlaid charts, written into `out` (default: `b`/compare).
    public static func compare(_ a: String, _ b: String, out: String? = nil) throws -> String {
        let before = try StoredRun(a)
        let after = try StoredRun(b)
        guard before.kind == after.kind else {
            throw BenchFailure("cannot compare a \(before.kind) run (\(a)) with a \(after.kind) run (\(b))")
        }
        let target = out ?? URL(fileURLWithPath: b).appendingPathComponent("compare").path
        try JSONFiles.makeDirectory(target)
        return try CompareReport.write(before, after, to: target)
    }
}
