import Dispatch
import Synchronization

extension Array where Element: Sendable {
  /// `transform` of every element, computed on all cores at once and
  /// returned in the elements' order, so a caller that folds them in order
  /// decides exactly as it would have one at a time.
  func parallelMap<T: Sendable>(_ transform: @Sendable (Element) -> T) -> [T] {
    let results = Mutex<[T?]>(Array<T?>(repeating: nil, count: count))
    let elements = self
    DispatchQueue.concurrentPerform(iterations: count) { i in
      let value = transform(elements[i])
      results.withLock { $0[i] = value }
    }
    return results.withLock { $0.map { $0! } }
  }
}

/// `a()` and `b()`, computed on two cores at once.
public func concurrently<A: Sendable, B: Sendable>(_ a: @Sendable () -> A, _ b: @Sendable () -> B) -> (A, B) {
  let results = Mutex<(A?, B?)>((nil, nil))
  DispatchQueue.concurrentPerform(iterations: 2) { i in
    if i == 0 {
      let value = a()
      results.withLock { $0.0 = value }
    } else {
      let value = b()
      results.withLock { $0.1 = value }
    }
  }
  return results.withLock { ($0.0!, $0.1!) }
}
