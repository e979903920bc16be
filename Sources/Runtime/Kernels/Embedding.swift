/// `embed`: row `ids[n]` of the table for each token n. Ids are exact
/// integers stored as floats (Tensor keeps i32 that way).
enum Embedding {
  static func run(ids: Tensor, table: Tensor) throws -> Tensor {
    let (vocab, width) = (table.shape[0], table.shape[1])
    let out = Tensor(uninitialized: [ids.count, width])
    for n in 0..<ids.count {
      let id = ids[n]
      guard id >= 0, id < Float(vocab), id == id.rounded() else {
        throw RuntimeError("token \(n) has id \(id), outside the vocabulary 0..<\(vocab)")
      }
      (out.storage.pointer + n * width).update(from: table.storage.pointer + Int(id) * width, count: width)
    }
    return out
  }
}
