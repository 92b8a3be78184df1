// Tokenizer module: filled in by the tokenizer work.
