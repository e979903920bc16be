/// `embed`: row `ids[n]` of the table for each token n. Ids are exact
/// integers stored as floats (Tensor keeps i32 that way).
enum Embedding {
  static func run(ids: Tensor, table: Tensor) throws -> Tensor {
    let width = table.shape[1]
    return try run(ids: ids, vocabulary: table.shape[0], width: width) { rows in
      Tensor(shape: [rows.count, width], values: Array(table.buffer[(rows.lowerBound * width)..<(rows.upperBound * width)]))
    }
  }

  /// The lookup from a table read a row at a time (`row(r)` is `[1, width]`):
  /// a checkpoint's table is never whole in f32.
  static func run(ids: Tensor, vocabulary: Int, width: Int, rows: (Range<Int>) throws -> Tensor) throws -> Tensor {
    let out = Tensor(uninitialized: [ids.count, width])
    for n in 0..<ids.count {
      let id = ids[n]
      guard id >= 0, id < Float(vocabulary), id == id.rounded() else {
        throw RuntimeError("token \(n) has id \(id), outside the vocabulary 0..<\(vocabulary)")
      }
      let row = try rows(Int(id)..<(Int(id) + 1))
      (out.storage.pointer + n * width).update(from: row.storage.pointer, count: width)
    }
    return out
  }
}
