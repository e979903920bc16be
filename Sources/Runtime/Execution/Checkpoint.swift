#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import FoundationEssentials
import HostIO

/// The weights of `ringc run --weights PATH`: a directory as Hugging Face
/// transformers saves a model (`model.safetensors`, or else
/// `model.safetensors.index.json` — `{"metadata": …, "weight_map": {tensor:
/// shard}}` — and the shards it names), such an index itself, or any one
/// safetensors file.
///
/// Opening it checks every weight instance the run reads, before the run:
/// its tensor is in the index and in its shard's header, with a dtype ringc
/// reads and the shape the model stores (`Instance.storedShape`). Only the
/// shards holding such tensors are opened, each memory-mapped once, so the
/// ranks on a host share its pages in the page cache. A shard must be a file
/// name in the index's directory (no `/`, no `..`); a symlink there is
/// followed wherever it leads, as in the Hugging Face cache, whose snapshot
/// files link to its blobs.
public struct Checkpoint: Sendable {
  /// A tensor the run reads: its file, where its data lies, how it converts.
  struct Located: Sendable {
    var file: SafeTensors
    var entry: SafeTensors.Entry
    var element: SafeTensors.Element
  }

  public static let singleFileName = "model.safetensors"
  public static let indexFileName = "model.safetensors.index.json"

  /// The path given: a directory, an index or a safetensors file.
  public let path: String
  let tensors: [String: Located]

  public init(path: String, for instances: [WeightSource.Instance]) throws(CheckpointError) {
    let layout = try Layout(path)
    var opened: [String: SafeTensors] = [:]
    var unopened: Set<String> = []
    var located: [String: Located] = [:]
    var problems: [CheckpointError.Problem] = []
    var troubled: Set<String> = []
    var needed: Set<String> = []
    var missing: [String] = []
    // One problem per tensor, however many weights read it.
    func report(_ name: String, _ problem: CheckpointError.Problem) {
      if troubled.insert(name).inserted { problems.append(problem) }
    }
    for w in instances {
      let name = w.checkpointName
      needed.insert(name)
      let reader = "weight @\(w.decl.name)\(w.layer.map { " of layer \($0)" } ?? "")"
      guard case let (file, shard)? = layout.file(of: name) else {
        if !troubled.contains(name) { missing.append(name) }
        report(name, CheckpointError.Problem(file: layout.path, "tensor '\(name)' is not in the weight_map; \(reader) reads it"))
        continue
      }
      if opened[file] == nil && !unopened.contains(file) {
        do { opened[file] = try Self.open(file, for: name, shard: shard, index: layout.path) } catch {
          unopened.insert(file)
          problems += error.problems
        }
      }
      guard let safetensors = opened[file] else { continue }
      guard let entry = safetensors.entries[name] else {
        if !troubled.contains(name) { missing.append(name) }
        let listed = shard == nil ? "" : " (the index puts it in this file)"
        report(name, CheckpointError.Problem(file: file, "tensor '\(name)' is missing\(listed); \(reader) reads it"))
        continue
      }
      guard let element = SafeTensors.Element(rawValue: entry.dtype) else {
        report(name, CheckpointError.Problem(file: file, "tensor '\(name)' has dtype \(entry.dtype); ringc reads \(SafeTensors.Element.names)"))
        continue
      }
      guard entry.shape == w.storedShape else {
        report(name, CheckpointError.Problem(file: file, Self.shapeMismatch(name, entry.shape, w, reader: reader)))
        continue
      }
      located[name] = Located(file: safetensors, entry: entry, element: element)
    }
    if located.isEmpty && !missing.isEmpty && missing.count == needed.count {
      let names = missing.prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (missing.count > 3 ? ", …" : "")
      throw CheckpointError(
        file: layout.path,
        "none of the \(needed.count) tensors the model reads is here, so this does not look like a checkpoint of this model (missing \(names))")
    }
    if !problems.isEmpty { throw CheckpointError(problems) }
    for t in located.values { t.file.willNeed(t.entry) }
    self.path = path
    tensors = located
  }

  /// Maps and reads the file holding tensor `name`; a shard that cannot be
  /// read is reported at the index that names it.
  static func open(_ file: String, for name: String, shard: String?, index: String) throws(CheckpointError) -> SafeTensors {
    let mapped: MappedFile
    do { mapped = try MappedFile(path: file) } catch {
      guard let shard else { throw CheckpointError(file: file, "cannot read it: \(error.reason)", unreadable: true) }
      throw CheckpointError(file: index, "tensor '\(name)' is in \(shard), which cannot be read: \(error.reason)", unreadable: true)
    }
    return try SafeTensors(mapped)
  }

  /// The tensor instance `w` reads as the checkpoint stores it (`storedShape`), in f32.
  public func tensor(_ w: WeightSource.Instance) throws -> Tensor {
    let name = w.checkpointName
    guard let t = tensors[name], t.entry.shape == w.storedShape else {
      throw RuntimeError("--weights \(path): tensor '\(name)' of weight @\(w.decl.name) was not checked before the run")
    }
    return t.file.load(t.entry, as: t.element)
  }

  /// Rows `rows` of axis 0 of the tensor instance `w` reads, as stored, in f32.
  public func rows(_ w: WeightSource.Instance, _ rows: Range<Int>) throws -> Tensor {
    let name = w.checkpointName
    guard let t = tensors[name], t.entry.shape == w.storedShape, let count = t.entry.shape.first,
      rows.lowerBound >= 0, rows.upperBound <= count
    else {
      throw RuntimeError("--weights \(path): rows \(rows) of tensor '\(name)' of weight @\(w.decl.name) were not checked before the run")
    }
    return t.file.load(t.entry, as: t.element, rows: rows)
  }

  static func shapeMismatch(_ name: String, _ found: [Int], _ w: WeightSource.Instance, reader: String) -> String {
    guard w.decl.transpose else {
      let hint = found.count == 2 && found == w.storedShape.reversed() ? " (the tensor is stored transposed: declare the weight with transpose = true)" : ""
      return "tensor '\(name)' has shape \(found); \(reader) needs \(w.shape)\(hint)"
    }
    let hint = found == w.shape ? " (the tensor is not stored transposed: drop transpose = true)" : ""
    return "tensor '\(name)' has shape \(found); \(reader) is \(w.shape) with transpose = true, so the checkpoint must store it as \(w.storedShape)\(hint)"
  }

  /// Where a checkpoint's tensors are: one file, or the files an index
  /// assigns them.
  enum Layout {
    case file(String)
    /// The index's path, its weight map, and the prefix that makes a shard's
    /// name a path (the index's directory).
    case index(String, weightMap: [String: String], directory: String)

    var path: String {
      switch self {
      case .file(let path), .index(let path, _, _): path
      }
    }

    /// The path of the file holding tensor `name`, and the shard's name when
    /// an index assigned it; nil when the index lists no such tensor.
    func file(of name: String) -> (String, shard: String?)? {
      switch self {
      case .file(let path): return (path, nil)
      case .index(_, let weightMap, let directory): return weightMap[name].map { (directory + $0, $0) }
      }
    }

    init(_ path: String) throws(CheckpointError) {
      var info = stat()
      guard stat(path, &info) == 0 else {
        throw CheckpointError(file: path, "cannot read it: \(String(cString: strerror(errno)))", unreadable: true)
      }
      let isDirectory = info.st_mode & S_IFMT == S_IFDIR
      if !isDirectory && !path.hasSuffix(".json") {
        self = .file(path)
        return
      }
      // What makes a file name in the directory a path: "DIR/".
      let directory: String
      if isDirectory {
        directory = path.hasSuffix("/") ? path : path + "/"
      } else {
        directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
      }
      // transformers looks for the single file first, then the index.
      let single = directory + Checkpoint.singleFileName
      if isDirectory && Self.exists(single) {
        self = .file(single)
        return
      }
      let index = isDirectory ? directory + Checkpoint.indexFileName : path
      guard !isDirectory || Self.exists(index) else {
        throw CheckpointError(
          file: path, "the directory has neither \(Checkpoint.singleFileName) nor \(Checkpoint.indexFileName)", unreadable: true)
      }
      self = .index(index, weightMap: try Self.weightMap(index), directory: directory)
    }

    private static func exists(_ path: String) -> Bool {
      var info = stat()
      return lstat(path, &info) == 0
    }

    /// The index's weight map, every shard in it a plain file name.
    private static func weightMap(_ path: String) throws(CheckpointError) -> [String: String] {
      let file: MappedFile
      do { file = try MappedFile(path: path) } catch {
        throw CheckpointError(file: path, "cannot read it: \(error.reason)", unreadable: true)
      }
      let map: [String: String]
      do { map = try JSONDecoder().decode(Index.self, from: Data(file.bytes)).weightMap } catch {
        throw CheckpointError(
          file: path, CheckpointError.describe(error, "the index", expected: "a safetensors index, {\"weight_map\": {tensor: shard file}}"))
      }
      for (tensor, shard) in map.sorted(by: { $0.key < $1.key }) where !isFileName(shard) {
        throw CheckpointError(
          file: path, "the weight_map puts tensor '\(tensor)' in \"\(shard)\"; a shard must be a file name in the index's directory")
      }
      return map
    }

    private static func isFileName(_ s: String) -> Bool {
      !s.isEmpty && s != "." && s != ".." && !s.contains("/") && !s.contains("\0")
    }

    struct Index: Decodable {
      var weightMap: [String: String]

      enum CodingKeys: String, CodingKey {
        case weightMap = "weight_map"
      }
    }
  }
}
