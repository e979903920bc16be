/// Config keys that do not change what a forward pass over token ids
/// computes, each with why: the importer leaves them out and says so in the
/// model's header.
enum IgnoredKeys {
  /// Why `key` does not matter, or nil if it may.
  static func reason(_ key: String) -> String? {
    if key.hasSuffix("dropout") || key.hasSuffix("_pdrop") { return "training only" }
    return table[key]
  }

  private static let table: [String: String] = {
    var t: [String: String] = [:]
    for k in ["initializer_range", "tie_encoder_decoder"] { t[k] = "initialisation" }
    for k in ["bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id", "tokenizer_class"] {
      t[k] = "tokenizer"
    }
    for k in generation { t[k] = "generation" }
    for k in ["transformers_version", "_commit_hash", "torchscript", "prefix", "finetuning_task", "task_specific_params"] {
      t[k] = "metadata"
    }
    for k in ["output_attentions", "output_hidden_states", "return_dict", "use_return_dict"] { t[k] = "output options" }
    for k in ["id2label", "label2id", "num_labels", "problem_type"] { t[k] = "classification heads" }
    // Slices or kernels of the same arithmetic.
    for k in ["pretraining_tp", "attn_implementation", "_attn_implementation", "chunk_size_feed_forward"] {
      t[k] = "same arithmetic"
    }
    return t
  }()

  /// Sampling and caching settings (transformers' GenerationConfig
  /// parameters that configs may still carry).
  private static let generation = [
    "use_cache", "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups",
    "diversity_penalty", "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty",
    "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences",
    "output_scores", "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id",
    "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens",
    "epsilon_cutoff", "eta_cutoff", "encoder_repetition_penalty",
  ]
}
