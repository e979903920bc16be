import RingcTestSupport
import Testing

/// The folder of IR test files, from the repository root.
let inputs = "Tests/IRTextTests/Inputs"

@Suite struct IRTextTests {
  @Test func theInputsAreFound() {
    #expect(fileNames(in: repositoryRoot + "/" + inputs, endingWith: ".ir").count >= 13)
  }

  @Test(arguments: fileNames(in: repositoryRoot + "/" + inputs, endingWith: ".ir"))
  func fileHoldsItsChecks(_ name: String) throws {
    let path = inputs + "/" + name
    let file = try IRTestFile(path: path, text: try readText(repositoryRoot + "/" + path))
    let report = file.run { command, input, file in try runCommand(command, input: input, file: file) }
    #expect(report == nil, "\(report.map(String.init(describing:)) ?? "")")
  }
}
