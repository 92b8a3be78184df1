import CVulkan

extension VulkanDevice {
    /// Copy host bytes into a buffer through a host-visible staging buffer (in chunks of at most
    /// `chunk` bytes, so uploading gigabytes of weights needs little extra memory).
    public func upload(_ bytes: UnsafeRawBufferPointer, to buffer: VulkanBuffer, offset: Int = 0,
                       chunk: Int = 64 << 20) throws(VulkanError) {
        guard !bytes.isEmpty else { return }
        if let dst = buffer.contents {
            (dst + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            return
        }
        let staging = try VulkanBuffer(device: self, size: min(chunk, bytes.count), kind: .hostVisible)
        let stream = try CommandStream(device: self, maxDispatches: 1, maxBindings: 1)
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
