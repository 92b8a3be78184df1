/// Judges a soak from its samples: memory drift (VRAM, worker and supervisor RSS) by regression, latency
/// variation across windows, crashes and unexpected restarts from the server's exit counters, clean restarts,
/// failed requests. A pure function of the samples, so a killed soak can be judged from samples.jsonl.
public enum SoakJudge {
    public static func summarize(
        config: SoakConfiguration, startedAt: String, model: String?, samples: [SoakSample],
        restarts: [RestartRecord], latency: LatencySet?, bursts: Int, lateBursts: Int,
        complete: Bool = true
    ) -> SoakSummary {
        let duration = samples.last?.tS ?? 0
        var errors: [String: Int] = [:]
        for s in samples { for (k, v) in s.errors { errors[k, default: 0] += v } }
        let requests = samples.reduce(0) { $0 + $1.requests }
        let failed = samples.reduce(0) { $0 + $1.failed }
        let measured = samples.filter { !$0.warmup }
        let hours = { (s: SoakSample) in s.protocolS / 3600 }
        func drift(_ value: (SoakSample) -> Double?) -> Drift? {
            let points = measured.compactMap { s in value(s).map { (hours(s), $0) } }
            guard let first = points.first, let last = points.last else { return nil }
            let trend = LinearTrend(x: points.map(\.0), y: points.map(\.1))
            let span = (measured.last.map(hours) ?? 0) - (measured.first.map(hours) ?? 0)
            return Drift(
                samples: points.count, first: first.1, last: last.1, max: points.map(\.1).max() ?? 0,
                slopePerHour: trend?.slope ?? 0, slopeLowPerHour: trend?.slopeLow ?? 0,
                slopeHighPerHour: trend?.slopeHigh ?? 0, projectedGrowth: (trend?.slope ?? 0) * span,
                significant: trend?.isSignificant ?? false)
        }
        let vram = drift { $0.resources.vramUsedBytes }
        let workerRSS = drift { $0.resources.workerRSSBytes }
        let supervisorRSS = drift { $0.resources.supervisorRSSBytes }
        let counted = samples.filter { !$0.warmup && !$0.restartWindow && $0.itlMeanMs != nil && $0.requests > 0 }
        // A window's mean is compared only once it holds enough requests: a compressed soak's sample windows
        // last seconds and hold one to ten requests, whose mean varies by sampling alone (9 % seen at ×144).
        // Consecutive windows are pooled, weighted by requests, until they hold `minWindowRequests`.
        let minimum = max(1, config.minWindowRequests ?? SoakConfiguration.defaultMinWindowRequests)
        var means: [Double] = []
        var pooledMs = 0.0
        var pooledRequests = 0
        for sample in counted {
            pooledMs += (sample.itlMeanMs ?? 0) * Double(sample.requests)
            pooledRequests += sample.requests
            if pooledRequests >= minimum {
                means.append(pooledMs / Double(pooledRequests))
                pooledMs = 0
                pooledRequests = 0
            }
        }
        let variation =
            means.isEmpty
            ? nil
            : LatencyVariation(
                windows: means.count, excludedWarmup: samples.filter { $0.warmup && $0.requests > 0 }.count,
                excludedRestart: samples.filter { !$0.warmup && $0.restartWindow && $0.requests > 0 }.count,
                meanMs: Describe.mean(means), stddevMs: Describe.stddev(means),
                coefficient: Describe.coefficientOfVariation(means))
        var exits: [String: Int] = [:]
        if let a = samples.first(where: { $0.workerExits != nil })?.workerExits,
            let b = samples.last(where: { $0.workerExits != nil })?.workerExits
        {
            for (reason, n) in b where n - (a[reason] ?? 0) != 0 { exits[reason] = n - (a[reason] ?? 0) }
        }

        var checks: [SoakCheck] = []
        let limit = config.maxMemoryGrowthBytes
        func memoryCheck(_ name: String, _ d: Drift?, absent: String) {
            guard let d else {
                checks.append(SoakCheck(name: name, status: "n/a", measured: absent, limit: "< \(Format.bytes(limit))"))
                return
            }
            let pass = abs(d.delta) < limit && abs(d.projectedGrowth) < limit
            checks.append(
                SoakCheck(
                    name: name, status: pass ? "pass" : "fail",
                    measured:
                        "\(Format.signedBytes(d.delta)) first→last; trend \(Format.signedBytes(d.slopePerHour))/h "
                        + "(95 % CI \(Format.signedBytes(d.slopeLowPerHour)) … "
                        + "\(Format.signedBytes(d.slopeHighPerHour)))",
                    limit: "< \(Format.bytes(limit)) change and trend over the run",
                    detail: d.significant ? "the trend is significant (its interval excludes zero)" : nil))
        }
        let vramReported = vram.map { $0.max > 0 } ?? false
        memoryCheck(
            "VRAM growth", vramReported ? vram : nil,
            absent: "not applicable: the workers report no VRAM (CPU workers)")
        memoryCheck("worker RSS drift", workerRSS, absent: "no worker RSS in /metrics")
        memoryCheck(
            "supervisor RSS drift", supervisorRSS,
            absent: "not readable (vkserved is not a local process, or the control socket was unreachable)")
        if let v = variation, v.windows >= 3 {
            checks.append(
                SoakCheck(
                    name: "latency variation across windows",
                    status: v.coefficient < config.maxLatencyVariation ? "pass" : "fail",
                    measured: "\(Format.percent(v.coefficient, 2)) (windowed mean ITL \(Format.fixed(v.meanMs)) ± "
                        + "\(Format.fixed(v.stddevMs, 2)) ms over \(v.windows) windows)",
                    limit: "< \(Format.percent(config.maxLatencyVariation, 0))",
                    detail: "left out: \(v.excludedWarmup) warm-up and \(v.excludedRestart) restart windows; "
                        + "windows pooled to at least \(minimum) requests each"))
        } else {
            checks.append(
                SoakCheck(
                    name: "latency variation across windows", status: "n/a",
                    measured: "\(variation?.windows ?? 0) windows with requests outside warm-up and restarts",
                    limit: "< \(Format.percent(config.maxLatencyVariation, 0)); needs 3 windows or more"))
        }
        let crashes = exits.filter { $0.key != "stopped" }
        let requestedStops = restarts.reduce(0) { $0 + $1.pidsBefore.count }
        let stops = exits["stopped"] ?? 0
        let unreadable = samples.filter { $0.resources.error != nil }.count
        let supervisors = Set(samples.compactMap(\.supervisorPID))
        var problems: [String] = crashes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        if stops > requestedStops {
            problems.append(
                "\(stops - requestedStops) stops nobody asked for (the server's own scheduled restarts? "
                    + "give it restart.every = 0 while the soak drives restarts)")
        }
        if supervisors.count > 1 { problems.append("vkserved itself restarted (pids \(supervisors.sorted()))") }
        if unreadable > 0 { problems.append("\(unreadable) samples could not read /metrics") }
        checks.append(
            SoakCheck(
                name: "no crashes or unexpected restarts", status: problems.isEmpty ? "pass" : "fail",
                measured: problems.isEmpty
                    ? "worker exits: "
                        + (exits.isEmpty
                            ? "none"
                            : exits.sorted { $0.key < $1.key }
                                .map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                    : problems.joined(separator: "; "),
                limit: "only the stops the soak's restarts asked for"))
        let planned = config.plannedRestarts
        if planned == 0 && restarts.isEmpty {
            checks.append(
                SoakCheck(
                    name: "clean restarts", status: "n/a", measured: "no restarts planned",
                    limit: "every worker back under a new pid, no failed request, only `stopped` exits"))
        } else {
            let unclean = restarts.filter {
                !$0.ok || $0.failedRequests > 0 || $0.exits.keys.contains { $0 != "stopped" }
            }
            let missing = complete ? max(0, planned - restarts.count) : 0
            checks.append(
                SoakCheck(
                    name: "clean restarts", status: unclean.isEmpty && missing == 0 ? "pass" : "fail",
                    measured: "\(restarts.count - unclean.count) of \(restarts.count) clean"
                        + (missing > 0 ? ", \(missing) planned restarts never happened" : "")
                        + (restarts.isEmpty
                            ? "" : ", longest \(Format.fixed(restarts.map { $0.endS - $0.startS }.max() ?? 0, 1)) s"),
                    limit: "every worker back under a new pid, no failed request, only `stopped` exits",
                    detail: unclean.map { "restart \($0.number): \($0.message)" }.joined(separator: "; ").nilIfEmpty))
        }
        checks.append(
            SoakCheck(
                name: "no failed requests", status: failed == 0 ? "pass" : "fail",
                measured: failed == 0
                    ? "0 of \(requests)"
                    : "\(failed) of \(requests): "
                        + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                limit: "0"))
        var notes: [String] = []
        if lateBursts > 0 {
            notes.append(
                "\(lateBursts) of \(bursts) bursts started late: the one before outlasted the period "
                    + "(a burst's requests take real time; --time-scale compresses only the protocol's waits)")
        }
        let temps = samples.compactMap(\.resources.gpuTemperatureC)
        if let hottest = temps.max() {
            notes.append("GPU temperature \(Format.fixed(temps.min() ?? hottest, 0))–\(Format.fixed(hottest, 0)) °C")
        }
        var histograms: [String: [WeightedValue]]?
        if let latency {
            histograms = [:]
            for s in [LatencySeries.ttft, .itl, .tpot, .e2e] {
                histograms?[s.rawValue] = latency.series(s).weightedValues
            }
        }
        return SoakSummary(
            startedAt: startedAt, configuration: config, model: model, durationS: duration,
            protocolDurationS: duration * config.timeScale, complete: complete, requests: requests, failed: failed,
            errors: errors, outputTokens: samples.reduce(0) { $0 + $1.tokens }, bursts: bursts, lateBursts: lateBursts,
            latency: latency?.summaries, histograms: histograms, restarts: restarts, plannedRestarts: planned,
            vram: vram, workerRSS: workerRSS, supervisorRSS: supervisorRSS, latencyVariation: variation,
            workerExits: exits, checks: checks, verdict: checks.contains { $0.status == "fail" } ? "failed" : "pass",
            notes: notes)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
