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
