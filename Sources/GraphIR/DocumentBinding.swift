/// Folds a model's packed documents into the attentions that keep them
/// apart, so that every pass, plan and kernel reads one spelling of a mask.
///
/// Before (`--documents 0,5,6,32`):
///
///     dim N = 2
///     %docs = documents : i32[N]
///     %o = attention %q, %k, %v, %docs {mask = "document_causal"} : f32[S,4,8]
///
/// After (and `dim N = 4`):
///
///     %o = attention %q, %k, %v {causal = true, documents = [0, 5, 6, 32]} : f32[S,4,8]
///
/// Invariant kept: no `documents` op and no `mask` attribute remain; every
/// attention says `causal` (when its mask was spelled) and carries the
/// bounds of its documents, if any. A model without a `documents` input
/// takes `--documents` on the attentions that already keep documents apart,
/// or on every attention when none does.
extension Module {
  public struct DocumentBindingError: Error, Sendable {
    public var message: String
    public var location: SourceLocation?
    /// The flag, not the model, is at fault (a usage error).
    public var isUsage: Bool
  }

  /// Expects a verified module; checks that documents cover the sequence.
  public mutating func bindDocuments(_ given: Documents?) throws(DocumentBindingError) {
    if let given, let length = sequenceDim?.value, given.length != length {
      throw DocumentBindingError(
        message: "--documents cover \(given.length) tokens, but the sequence has \(length); the last bound must be the sequence length (--seq)",
        location: nil, isUsage: true)
    }
    let hasInput = graphs.contains { $0.ops.contains { $0.opcode == .documents } }
    let anyKept = graphs.contains { $0.ops.contains { $0.opcode == .attention && $0.attributes["documents"] != nil } }
    for g in graphs.indices {
      var bounds: [String: Documents] = [:]
      for op in graphs[g].ops where op.opcode == .documents {
        bounds[op.results[0]] = try bind(op, given)
      }
      for i in graphs[g].ops.indices where graphs[g].ops[i].opcode == .attention {
        var op = graphs[g].ops[i]
        let kind: MaskKind
        do { kind = try MaskKind(of: op) } catch {
          throw DocumentBindingError(message: error.message, location: op.location, isUsage: false)
        }
        var documents = Documents(attribute: op.attributes["documents"])
        if op.operands.count == 4, case .value(let v) = op.operands[3] {
          documents = bounds[v]
        } else if let given, !hasInput, documents != nil || !anyKept {
          documents = given
        }
        if op.attributes.removeValue(forKey: "mask") != nil { op.attributes["causal"] = .bool(kind.causal) }
        if let documents, let length = sequenceDim?.value ?? rows(of: op), documents.length != length {
          let flag = documents == given
          throw DocumentBindingError(
            message: "\(flag ? "--documents" : "attention documents") cover \(documents.length) tokens, but the attention has \(length) rows",
            location: op.location, isUsage: flag)
        }
        op.attributes["documents"] = documents?.attribute
        op.operands = Array(op.operands.prefix(3))
        op.operandLocations = Array(op.operandLocations.prefix(3))
        graphs[g].ops[i] = op
      }
      graphs[g].ops.removeAll { $0.opcode == .documents }
    }
  }

  /// An attention's query rows when its type says them (no sequence dim).
  private func rows(of op: Op) -> Int64? {
    switch op.resultTypes[0].dims.first {
    case .literal(let n)?: n
    case .named(let d)?: dims.first { $0.name == d }?.value
    case nil: nil
    }
  }

  /// The bounds a `documents` op holds: `given` (rebinding a named length)
  /// or its own.
  private mutating func bind(_ op: Op, _ given: Documents?) throws(DocumentBindingError) -> Documents {
    let name = "documents %\(op.results[0])"
    if given != nil, op.attributes["bounds"] != nil {
      throw DocumentBindingError(
        message: "\(name) has its bounds in the model; --documents would replace them (give the op no bounds to take the flag's)",
        location: op.location, isUsage: true)
    }
    guard let documents = given ?? Documents(attribute: op.attributes["bounds"]) else {
      throw DocumentBindingError(
        message: "\(name) is an input of the model; give its cumulative lengths with --documents LIST|FILE.npy",
        location: op.location, isUsage: true)
    }
    let count = Int64(documents.bounds.count)
    switch op.resultTypes[0].dims[0] {
    case .literal(let n) where n != count:
      throw DocumentBindingError(
        message: "--documents gives \(count) cumulative lengths, but \(name) is i32[\(n)]", location: op.location, isUsage: true)
    case .named(let dim):
      guard let d = dims.firstIndex(where: { $0.name == dim }) else { break }
      if dims[d].isSequence, dims[d].value != count {
        throw DocumentBindingError(
          message: "--documents gives \(count) cumulative lengths, but \(name) is i32[\(dim)], the sequence length", location: op.location, isUsage: true)
      }
      dims[d].value = count
    default: break
    }
    return documents
  }
}
