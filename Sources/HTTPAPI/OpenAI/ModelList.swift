/// The answer to `GET /v1/models`: `{"object":"list","data":[{"id":…,"object":"model","created":…,
/// "owned_by":"vkserve"}]}`; and, one model at a time, to `GET /v1/models/{id}`.
public struct ModelList: Sendable, Equatable {
    /// The models served, in order.
    public var ids: [String]
    /// Unix seconds, reported as each model's `created` (when the model was loaded, say).
    public var created: Int
    /// Each model's `owned_by`.
    public var ownedBy: String

    /// A list of `ids`.
    public init(ids: [String], created: Int, ownedBy: String = "vkserve") {
        self.ids = ids
        self.created = created
        self.ownedBy = ownedBy
    }

    /// The `GET /v1/models` body.
    public func json() -> [UInt8] {
        OpenAIJSONOutput.object([
            "object": .string("list"),
            "data": .array(ids.map(model)),
        ]).bytes
    }

    /// The `GET /v1/models/{id}` body, or nil when `id` is not served (then answer
    /// ``APIError/modelNotFound(_:available:)``).
    public func json(model id: String) -> [UInt8]? {
        ids.contains(id) ? model(id).bytes : nil
    }

    private func model(_ id: String) -> OpenAIJSONOutput {
        .object([
            "id": .string(id),
            "object": .string("model"),
            "created": .int(created),
            "owned_by": .string(ownedBy),
        ])
    }
}
