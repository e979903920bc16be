import HostIO

/// One line on standard error, rewritten in place (`\r`) as the layers of a
/// run finish: `layer 3 of 32, elapsed 12.4 s, about 115 s left`, the
/// estimate from the average layer so far. At most four updates a second;
/// `finish` blanks the line so what follows starts on a clean one.
final class ProgressLine {
  private let label: String
  private let total: Int
  private let start = Clock.now
  private var done = 0
  private var shownAt = -Double.infinity
  private var shownWidth = 0

  init(label: String, total: Int) {
    self.label = label
    self.total = total
  }

  func layerDone() {
    done += 1
    let now = Clock.now
    guard now - shownAt >= 0.25 || done == total else { return }
    shownAt = now
    let elapsed = now - start
    let left = elapsed / Double(done) * Double(max(0, total - done))
    show("\(label) \(done) of \(total), elapsed \(Self.seconds(elapsed)) s, about \(Self.seconds(left)) s left")
  }

  /// Blanks the line, if anything was shown.
  func finish() {
    guard shownWidth > 0 else { return }
    Stderr.write("\r" + String(repeating: " ", count: shownWidth) + "\r")
    shownWidth = 0
  }

  private func show(_ text: String) {
    // Spaces cover the tail of a longer line before.
    Stderr.write("\r" + text + String(repeating: " ", count: max(0, shownWidth - text.count)))
    shownWidth = max(shownWidth, text.count)
  }

  /// One decimal below 10 s, whole seconds above.
  private static func seconds(_ s: Double) -> String {
    s < 10 ? String((s * 10).rounded() / 10) : String(Int(s.rounded()))
  }
}
