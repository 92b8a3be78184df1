import CVulkan

/// Uploads host bytes into device buffers through one reusable host-visible staging buffer and
/// one command stream, so loading hundreds of tensors allocates them once, not per tensor.
public final class StagingUploader {
    let device: VulkanDevice
    let chunk: Int
    private var staging: VulkanBuffer?
    private var stream: CommandStream?

    /// - Parameter chunk: the staging size; larger uploads go through it in pieces.
    public init(device: VulkanDevice, chunk: Int = 64 << 20) {
        self.device = device
        self.chunk = chunk
    }

    public func upload(_ bytes: UnsafeRawBufferPointer, to buffer: VulkanBuffer, offset: Int = 0) throws(VulkanError) {
        guard !bytes.isEmpty else { return }
        if let dst = buffer.contents {
            (dst + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            return
        }
        if staging == nil {
            staging = try VulkanBuffer(device: device, size: chunk, kind: .hostVisible)
            stream = try CommandStream(device: device, maxDispatches: 1, maxBindings: 1)
        }
        let (staging, stream) = (staging!, stream!)
        var done = 0
        while done < bytes.count {
            let n = min(chunk, bytes.count - done)
            staging.contents!.copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            try stream.begin()
            stream.copy(from: staging, to: buffer, dstOffset: offset + done, size: n)
            try stream.submitAndWait()
            done += n
        }
    }
}

extension VulkanDevice {
    /// Copy host bytes into a buffer (one-off; loaders of many tensors keep a `StagingUploader`).
    public func upload(_ bytes: UnsafeRawBufferPointer, to buffer: VulkanBuffer, offset: Int = 0) throws(VulkanError) {
        try StagingUploader(device: self, chunk: min(64 << 20, max(bytes.count, 4))).upload(bytes, to: buffer, offset: offset)
    }

    /// Copy `count` bytes of a buffer back to the host.
    public func download(_ buffer: VulkanBuffer, offset: Int = 0, into out: UnsafeMutableRawBufferPointer) throws(VulkanError) {
        guard !out.isEmpty else { return }
        if let src = buffer.contents {
            out.baseAddress!.copyMemory(from: src + offset, byteCount: out.count)
            return
        }
        let staging = try VulkanBuffer(device: self, size: out.count, kind: .hostVisible)
        let stream = try CommandStream(device: self, maxDispatches: 1, maxBindings: 1)
        try stream.begin()
        stream.copy(from: buffer, srcOffset: offset, to: staging, size: out.count)
        try stream.submitAndWait()
        out.baseAddress!.copyMemory(from: staging.contents!, byteCount: out.count)
    }

    public func upload(_ floats: [Float], to buffer: VulkanBuffer, offset: Int = 0) throws(VulkanError) {
        let r: Result<Void, VulkanError> = floats.withUnsafeBytes { raw in
            Result { () throws(VulkanError) in try upload(raw, to: buffer, offset: offset) }
        }
        try r.get()
    }

    public func downloadFloats(_ buffer: VulkanBuffer, offset: Int = 0, count: Int) throws(VulkanError) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let r: Result<Void, VulkanError> = out.withUnsafeMutableBytes { raw in
            Result { () throws(VulkanError) in try download(buffer, offset: offset, into: raw) }
        }
        try r.get()
        return out
    }
}
