/// Durations as configuration text: `"500ms"`, `"1s"`, `"1.5s"`, `"5m"`, `"12h"`, `"1h30m"`, `"2d"`, `"0"`.
///
/// A duration is one or more components, each a decimal number (optionally with a fraction) and a unit, with
/// units in decreasing order and none repeated: `d`, `h`, `m`, `s`, `ms`, `us` (or `µs`), `ns`. A bare `"0"`
/// is zero. Signs, spaces and sub-nanosecond precision are rejected.
public enum DurationText {
    /// Units in decreasing order, with their length in nanoseconds.
    private static let units: [(name: String, nanoseconds: UInt64)] = [
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("µs", 1_000),
        ("ns", 1),
    ]

    /// Parses a duration; `nil` when `s` is not one.
    public static func parse(_ s: String) -> Duration? {
        if s == "0" {
            return .zero
        }
        let bytes = Array(s.utf8)
        var index = 0
        var total: UInt64 = 0
        var previousUnit = -1
        while index < bytes.count {
            guard let whole = digits(bytes, &index), whole.count <= 19 else {
                return nil
            }
            var fraction: [UInt8] = []
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard let digits = digits(bytes, &index) else {
                    return nil
                }
                fraction = digits
            }
            let unitStart = index
            while index < bytes.count, !isDigit(bytes[index]) {
                index += 1
            }
            let unitName = String(decoding: bytes[unitStart..<index], as: UTF8.self)
            guard let unit = units.firstIndex(where: { $0.name == unitName }),
                  unitRank(unit) > previousUnit,
                  let value = component(whole: whole, fraction: fraction, unit: units[unit].nanoseconds)
            else {
                return nil
            }
            previousUnit = unitRank(unit)
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow, sum <= UInt64(Int64.max) else {
                return nil
            }
            total = sum
        }
        guard previousUnit >= 0 else {
            return nil
        }
        return .nanoseconds(Int64(total))
    }

    /// Formats a duration so that ``parse(_:)`` reads it back: `"0s"`, `"500ms"`, `"1.5s"`, `"1m30s"`, `"12h"`,
    /// `"2d"`. Precision below a nanosecond is dropped; a negative duration gets a leading `-` (which `parse`
    /// rejects).
    public static func format(_ d: Duration) -> String {
        if d < .zero {
            return "-" + format(.zero - d)
        }
        let seconds = d.components.seconds
        let nanoseconds = d.components.attoseconds / 1_000_000_000
        if seconds == 0 {
            switch nanoseconds {
            case 0: return "0s"
            case let n where n % 1_000_000 == 0: return "\(n / 1_000_000)ms"
            case let n where n % 1_000 == 0: return "\(n / 1_000)us"
            default: return "\(nanoseconds)ns"
            }
        }
        var text = ""
        var rest = seconds
        for (name, length) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where rest >= length {
            text += "\(rest / length)\(name)"
            rest %= length
        }
        if rest > 0 || nanoseconds > 0 {
            text += "\(rest)"
            if nanoseconds > 0 {
                var digits = String(nanoseconds)
                digits = String(repeating: "0", count: 9 - digits.count) + digits
                while digits.hasSuffix("0") {
                    digits.removeLast()
                }
                text += "." + digits
            }
            text += "s"
        }
        return text
    }

    /// `us` and `µs` share a rank, so that `"1us2µs"` is rejected like any repeated unit.
    private static func unitRank(_ index: Int) -> Int {
        units[index].name == "µs" ? index - 1 : index
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The run of decimal digits at `index` (at least one), advancing past it.
    private static func digits(_ bytes: [UInt8], _ index: inout Int) -> [UInt8]? {
        let start = index
        while index < bytes.count, isDigit(bytes[index]) {
            index += 1
        }
        return index > start ? Array(bytes[start..<index]) : nil
    }

    /// `whole.fraction` units in nanoseconds; `nil` on overflow or when the fraction is finer than 1 ns.
    private static func component(whole: [UInt8], fraction: [UInt8], unit: UInt64) -> UInt64? {
        var integer: UInt64 = 0
        for digit in whole {
            let (times10, overflow1) = integer.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                return nil
            }
            integer = next
        }
        let (value, overflow) = integer.multipliedReportingOverflow(by: unit)
        guard !overflow else {
            return nil
        }
        var fractionDigits = fraction
        while fractionDigits.last == UInt8(ascii: "0") {
            fractionDigits.removeLast()
        }
        guard !fractionDigits.isEmpty else {
            return value
        }
        guard fractionDigits.count <= 19 else {
            return nil
        }
        var numerator: UInt64 = 0
        var denominator: UInt64 = 1
        for digit in fractionDigits {
            numerator = numerator * 10 + UInt64(digit - UInt8(ascii: "0"))
            denominator *= 10
        }
        // numerator < denominator, so numerator × unit / denominator < unit and fits.
        let product = numerator.multipliedFullWidth(by: unit)
        let (quotient, remainder) = denominator.dividingFullWidth(product)
        guard remainder == 0 else {
            return nil
        }
        let (sum, overflowSum) = value.addingReportingOverflow(quotient)
        return overflowSum ? nil : sum
    }
}
