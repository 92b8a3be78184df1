import ArgumentParser
import Foundation
import VulkanBackend

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List the Vulkan devices and what vkserve would choose.")

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let instance = try VulkanInstance()
        let chosen = try? instance.choose()
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try enc.encode(instance.devices), as: UTF8.self))
            return
        }
        if instance.devices.isEmpty { print("no Vulkan devices") }
        for d in instance.devices {
            let mark = d.index == chosen?.index ? " (chosen)" : ""
            print("\(d.index): \(d.name) [\(d.kind.rawValue)]\(mark)")
            print("   driver \(d.driverName) \(d.driverInfo), Vulkan \(d.apiVersion), vendor 0x\(String(d.vendorID, radix: 16)) device 0x\(String(d.deviceID, radix: 16))")
            print("   subgroup \(d.subgroupSize)\(d.subgroupArithmetic ? " (arithmetic)" : ""), fp16 \(d.shaderFloat16 ? "yes" : "no"), int8 \(d.shaderInt8 ? "yes" : "no"), 16-bit storage \(d.storage16Bit ? "yes" : "no"), 8-bit storage \(d.storage8Bit ? "yes" : "no")")
            for (i, h) in d.heaps.enumerated() {
                var line = String(format: "   heap %d: %.2f GiB%@", i, Double(h.size) / 1073741824, h.deviceLocal ? " device-local" : "")
                if let b = h.budget, let u = h.usage {
                    line += String(format: ", budget %.2f GiB, used %.2f GiB", Double(b) / 1073741824, Double(u) / 1073741824)
                }
                print(line)
            }
            if let why = d.unusableReason { print("   unusable: \(why)") }
        }
    }
}
