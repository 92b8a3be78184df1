import Foundation
@_exported import TestHarness

/// Whether the `openai` Python package can be imported.
let hasOpenAIClient: Bool = (try? runCommand("/usr/bin/env", ["python3", "-c", "import openai"]).status) == 0
