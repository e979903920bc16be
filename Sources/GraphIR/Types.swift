/// Element types. Execution is f32 for every float type; the declared dtype
/// decides how many bytes a tensor occupies and so what communication costs.
public enum DType: String, CaseIterable, Sendable {
  case f32, f16, bf16, i32

  /// Bytes per element in memory and on the wire.
  public var byteSize: Int {
    switch self {
    case .f32, .i32: 4
    case .f16, .bf16: 2
    }
  }

  public var isFloat: Bool { self != .i32 }
}

/// One dimension of a shape: a literal extent or a named dimension bound by a
/// `dim` declaration of the module (so one file serves any sequence length).
public enum Dim: Hashable, Sendable, CustomStringConvertible {
  case literal(Int64)
  case named(String)

  public var description: String {
    switch self {
    case .literal(let n): String(n)
    case .named(let name): name
    }
  }
}

/// A tensor type, printed HLO-style: `bf16[S,4096]`. A rank-0 tensor is `f32[]`.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
  public var dtype: DType
  public var dims: [Dim]

  public init(_ dtype: DType, _ dims: [Dim]) {
    self.dtype = dtype
    self.dims = dims
  }

  public var rank: Int { dims.count }

  public var description: String {
    "\(dtype.rawValue)[\(dims.map(\.description).joined(separator: ","))]"
  }
}

/// Values of the named dimensions. Resolving a type gives its concrete extents.
public struct DimBindings: Sendable, Equatable {
  public var values: [String: Int64]

  public init(_ values: [String: Int64] = [:]) { self.values = values }

  public func value(of dim: Dim) -> Int64? {
    switch dim {
    case .literal(let n): n
    case .named(let name): values[name]
    }
  }

  /// The concrete extents of `type`, or nil if a named dimension is unbound.
  public func extents(of type: TensorType) -> [Int64]? {
    var out: [Int64] = []
    out.reserveCapacity(type.rank)
    for dim in type.dims {
      guard let n = value(of: dim) else { return nil }
      out.append(n)
    }
    return out
  }

  /// The number of elements of `type`, or nil when unbound or when the count
  /// overflows Int64.
  public func elementCount(of type: TensorType) -> Int64? {
    guard let extents = extents(of: type) else { return nil }
    return Self.product(extents)
  }

  /// The bytes `type` occupies, or nil on overflow.
  public func byteCount(of type: TensorType) -> Int64? {
    guard let n = elementCount(of: type) else { return nil }
    let (bytes, overflow) = n.multipliedReportingOverflow(by: Int64(type.dtype.byteSize))
    return overflow ? nil : bytes
  }

  /// The product of `extents`, or nil on overflow.
  public static func product(_ extents: [Int64]) -> Int64? {
    var total: Int64 = 1
    for n in extents {
      let (p, overflow) = total.multipliedReportingOverflow(by: n)
      if overflow { return nil }
      total = p
    }
    return total
  }

  /// `type` with every named dimension replaced by its value.
  public func concrete(_ type: TensorType) -> TensorType {
    TensorType(type.dtype, type.dims.map { d in value(of: d).map(Dim.literal) ?? d })
  }
}
