/// A minimal binary min-heap: the merge loops pop the best candidate pair many times per word.
struct BinaryHeap<Element: Comparable> {
    private(set) var elements: [Element] = []

    init() { elements.reserveCapacity(64) }

    var isEmpty: Bool { elements.isEmpty }

    mutating func removeAll() { elements.removeAll(keepingCapacity: true) }

    mutating func push(_ e: Element) {
        elements.append(e)
        var i = elements.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard elements[i] < elements[parent] else { break }
            elements.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the smallest element.
    mutating func pop() -> Element? {
        guard let last = elements.popLast() else { return nil }
        guard !elements.isEmpty else { return last }
        let top = elements[0]
        elements[0] = last
        var i = 0
        let n = elements.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && elements[l] < elements[m] { m = l }
            if r < n && elements[r] < elements[m] { m = r }
            if m == i { break }
            elements.swapAt(i, m)
            i = m
        }
        return top
    }
}
