import Testing

/// The tests that start a real vkserved run one at a time: on a 2-core machine, two servers and their clients
/// side by side would measure each other.
@Suite("bench against a real vkserved", .serialized)
struct BenchEndToEnd {}
