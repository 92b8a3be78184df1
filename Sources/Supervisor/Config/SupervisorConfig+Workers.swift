extension SupervisorConfig {
    /// The worker pool. Section `[workers]`.
    public struct Workers: Sendable, Equatable {
        /// Number of Vulkan (GPU) workers. Key `vulkan`.
        public var vulkan: Int
        /// Number of CPU workers, besides those standing in for failed Vulkan workers. Key `cpu`.
        public var cpu: Int
        /// Whether a CPU worker takes the place of a Vulkan worker that cannot run. Key `cpu_fallback`.
        public var cpuFallback: Bool
        /// CPU threads of each CPU worker; 0 means one per core. Key `threads`.
        public var threads: Int
        /// Vulkan device index; `nil` (key absent) lets the worker pick the first usable device. Key `device`.
        public var device: Int?
        /// Whether a Vulkan worker may run on a software renderer on the CPU (Mesa's lavapipe), which is slower
        /// than the CPU engine; false makes such a worker fail as "no device" (and fail over). Key `software_vulkan`.
        public var softwareVulkan: Bool

        /// Creates a workers section; every parameter defaults to the documented default.
        public init(vulkan: Int = 1, cpu: Int = 0, cpuFallback: Bool = true, threads: Int = 0, device: Int? = nil,
                    softwareVulkan: Bool = false) {
            self.softwareVulkan = softwareVulkan
            self.vulkan = vulkan
            self.cpu = cpu
            self.cpuFallback = cpuFallback
            self.threads = threads
            self.device = device
        }
    }
}
