import Testing
import WorkerProtocol

@Suite struct ExitCodeTests {
    @Test func codesAreStableAndDescribed() {
        #expect(WorkerExitCode.allCases.map(\.rawValue) == Array(0...7))
        #expect(Set(WorkerExitCode.allCases.map(\.meaning)).count == WorkerExitCode.allCases.count)
        #expect(WorkerExitCode(status: 6) == .deviceLost)
        #expect(WorkerExitCode(status: 8) == nil)
        #expect(WorkerExitCode(status: -1) == nil)
    }

    @Test func faultKindsMapToTheirExitCodes() {
        #expect(FaultKind.noDevice.exitCode == .noDevice)
        #expect(FaultKind.outOfDeviceMemory.exitCode == .outOfDeviceMemory)
        #expect(FaultKind.deviceLost.exitCode == .deviceLost)
        #expect(FaultKind.badModel.exitCode == .badModel)
        #expect(FaultKind.internal.exitCode == .internalError)
    }
}
