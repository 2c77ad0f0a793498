"""Hugging Face tokenizers trained here, and the texts that check Java tokenises as Python does.

Three families, each the standard recipe of its kind, trained with `tokenizers` on the training
split of the fortunes corpus (no downloads):

- `wordpiece`: BERT's (NFD, lower case, accents stripped, CJK characters split; WordPiece with
  `##` continuations; `[CLS] A [SEP]`, `[PAD]` 0);
- `bpe`: GPT-2/RoBERTa's byte-level BPE (no unknown token; `<s> A </s>`);
- `unigram`: SentencePiece's (NFKC, `▁` for spaces via Metaspace; `<cls>`-free, `A </s>` as T5).

`python -m streaminfer_training.hf_tokenizers [OUT_DIR]` writes `<family>/tokenizer.json` and
`texts.json` (default: models/src/test/resources/tokenizers): the texts — held-out fortunes of
every language, and made ones with accents, combining marks, CJK, emoji and ZWJ sequences,
zero-width and invisible characters, right-to-left scripts, control characters, and over-long
texts — with Python's ids, type ids and attention masks for each family, untruncated and
truncated to `MAX_LENGTH` on the right and on the left. HfTokenizerParityTest (Java) must
reproduce every one. It then writes a tiny ONNX classifier over the WordPiece tokenizer into a
model repository of its own (`classifier_fixture`), whose logits Java's padded batches must match.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from .data import text_splits

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "models" / "src" / "test" / "resources" / "tokenizers"
FAMILIES = ("wordpiece", "bpe", "unigram")
MAX_LENGTH = 32
VOCAB = 3000


def wordpiece(texts: list[str], vocab: int = VOCAB, strip_accents: bool = True) -> Tokenizer:
    """BERT's recipe: BertNormalizer + BertPreTokenizer + WordPiece, `[CLS] A [SEP]`."""
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=strip_accents, lowercase=True
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=vocab, special_tokens=special, min_frequency=2)
    )
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return tok


def bpe(texts: list[str], vocab: int = VOCAB) -> Tokenizer:
    """GPT-2/RoBERTa's recipe: byte-level BPE, `<s> A </s>`."""
    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=vocab, special_tokens=special, min_frequency=2,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>"))
    )
    return tok


def unigram(texts: list[str], vocab: int = VOCAB) -> Tokenizer:
    """SentencePiece's recipe: NFKC, Metaspace, Unigram, `A </s>`."""
    special = ["<pad>", "</s>", "<unk>"]
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(r"\s+", " ")]  # runs of spaces as one
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.train_from_iterator(
        texts,
        trainers.UnigramTrainer(vocab_size=vocab, special_tokens=special, unk_token="<unk>"),
    )
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B:1 </s>:1",
        special_tokens=[("</s>", tok.token_to_id("</s>"))],
    )
    return tok


BUILDERS = {"wordpiece": wordpiece, "bpe": bpe, "unigram": unigram}


def made_texts() -> list[str]:
    """Texts a producer may send that held-out fortunes do not cover."""
    long_words = " ".join(["Donaudampfschifffahrtsgesellschaftskapitän"] * 3)
    return [
        "Café, naïve, façade, résumé, Æsop, Œuvre, straße, İstanbul, ıi",
        "Cafe\u0301 with a combining acute, n\u0303 and A\u030a",  # NFD input
        "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ and ① ② ③ and ﬁ ligature",
        "東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.",
        "混合 mixed 文字 text カタカナ ひらがな",
        "Emoji: 😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇩🇪 and text after",
        "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
        "zero\u200bwidth\u200cjoiner\u200dand\ufeffbom and soft\u00adhyphen",
        "\u200b\u200b\u200b",
        "\u00a0\u3000\u2003 non-ASCII spaces \u00a0 around \u3000",
        "مرحبا بالعالم، هذه جملة عربية.",
        "שלום עולם, זה משפט בעברית.",
        "Mixed RTL: hello שלום world مرحبا 123",
        "\u202eright-to-left override\u202c and \u2066isolate\u2069",
        "tab\tnew\nline\rreturn and \u0007bell \u001b[31m escape",
        "Numbers 3.14159 1,000,000 2026-12-02 12:30 +49 (0) 30 1234567",
        "URLs https://example.org/path?q=1&r=2 and mail@example.org",
        "Punctuation!!! ??? ... --- *** ``quotes'' «guillemets» „Anführung“",
        "ALL CAPS SHOUTING AND lowercase whispering AnD MiXeD",
        "Ελληνικά γράμματα και λέξεις",
        "Русский текст с ёлкой и Ё",
        "हिन्दी में एक वाक्य",
        "ภาษาไทยไม่มีช่องว่างระหว่างคำ",
        "a",
        "",
        " ",
        long_words,
        "x" * 300,
        " ".join(["supercalifragilisticexpialidocious"] * 40),
        ("A long sentence that goes on and on. " * 60).strip(),
    ]


def texts(per_language: int = 18) -> list[str]:
    """Held-out fortunes (`per_language` of each language) and the made texts."""
    splits = text_splits()
    held, labels = splits.test
    out: list[str] = []
    for k in range(len(splits.languages)):
        out += [t for t, y in zip(held, labels) if y == k][:per_language]
    return out + made_texts()


def encodings(tok: Tokenizer, items: list[str], max_length: int | None, side: str) -> list[dict]:
    """Python's ids, type ids and attention mask of each text (truncated when max_length)."""
    tok = Tokenizer.from_str(tok.to_str())
    tok.no_padding()
    if max_length is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(max_length, direction=side)
    return [
        {"ids": e.ids, "type_ids": e.type_ids, "attention_mask": e.attention_mask}
        for e in tok.encode_batch(items)
    ]


def write(out: Path = OUT) -> list[Path]:
    """Trains the three tokenizers and writes them with the texts and Python's encodings."""
    train = text_splits().train[0]
    items = texts()
    reference: dict = {"max_length": MAX_LENGTH, "texts": items, "encodings": {}}
    written = []
    for family in FAMILIES:
        tok = BUILDERS[family](train)
        path = out / family / "tokenizer.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tok.save(str(path))
        written.append(path)
        tok = Tokenizer.from_file(str(path))
        reference["encodings"][family] = {
            "full": encodings(tok, items, None, "right"),
            "right": encodings(tok, items, MAX_LENGTH, "right"),
            "left": encodings(tok, items, MAX_LENGTH, "left"),
        }
    ref = out / "texts.json"
    ref.write_text(json.dumps(reference, ensure_ascii=False, indent=None) + "\n", encoding="utf-8")
    return written + [ref]




# ----------------------------------------------------------------- a tokenized-text model fixture

FIXTURE_REPO = ROOT / "models" / "src" / "test" / "resources" / "text-fixtures"


def classifier_fixture(repo: Path = FIXTURE_REPO, tokenizer: Path = OUT / "wordpiece" / "tokenizer.json") -> Path:
    """A tiny ONNX text classifier over the WordPiece tokenizer, in a model repository of its own.

    Inputs `input_ids`, `attention_mask`, `token_type_ids`, int64 [batch, sequence] with both axes
    dynamic; token and type embeddings, mean-pooled over the attention mask, then a Gemm into three
    logits (seeded weights: it checks the plumbing — ids, mask, types, padding — not a skill).
    Its reference holds ONNX Runtime's logits for every text of texts.json tokenized by Python
    alone (no padding), so Java's padded batches must give the same numbers.
    """
    import hashlib
    import shutil

    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    tok = Tokenizer.from_file(str(tokenizer))
    vocab, dim, classes = tok.get_vocab_size(), 16, 3
    rng = np.random.default_rng(11)
    inits = [
        numpy_helper.from_array(rng.normal(0, 1, (vocab, dim)).astype(np.float32), "emb"),
        numpy_helper.from_array(rng.normal(0, 1, (2, dim)).astype(np.float32), "types"),
        numpy_helper.from_array(rng.normal(0, 0.5, (classes, dim)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.normal(0, 0.1, (classes,)).astype(np.float32), "B"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["e"]),
        helper.make_node("Gather", ["types", "token_type_ids"], ["t"]),
        helper.make_node("Add", ["e", "t"], ["x"]),
        helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mf", "axis2"], ["m"]),
        helper.make_node("Mul", ["x", "m"], ["xm"]),
        helper.make_node("ReduceSum", ["xm", "axis1"], ["num"], keepdims=0),
        helper.make_node("ReduceSum", ["m", "axis1"], ["den"], keepdims=0),
        helper.make_node("Div", ["num", "den"], ["pooled"]),
        helper.make_node("Gemm", ["pooled", "W", "B"], ["logits"], transB=1),
    ]
    ins = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
           for n in ("input_ids", "attention_mask", "token_type_ids")]
    outs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])]
    graph = helper.make_graph(nodes, "tokenized_text_fixture", ins, outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="streaminfer-fixture")
    model.ir_version = 8
    onnx.checker.check_model(model)
    d = repo / "wp-bag" / "1"
    d.mkdir(parents=True, exist_ok=True)
    onnx_path = d / "model.onnx"
    onnx_path.write_bytes(model.SerializeToString())
    shutil.copyfile(tokenizer, d / "tokenizer.json")
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    card = {
        "card_version": 1, "name": "wp-bag", "version": "1", "task": "text-classification",
        "description": "Test fixture: WordPiece ids, mask and types, mean-pooled embeddings, 3 logits",
        "file": "model.onnx", "sha256": sha(onnx_path), "size_bytes": onnx_path.stat().st_size,
        "opset": 17,
        "inputs": [{"name": n, "dtype": "int64", "shape": [-1, -1]}
                   for n in ("input_ids", "attention_mask", "token_type_ids")],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": [-1, classes]}],
        "preprocessing": {
            "type": "hf-tokenizer", "tokenizer_file": "tokenizer.json",
            "tokenizer_sha256": sha(d / "tokenizer.json"), "max_length": MAX_LENGTH,
            "truncation": "right", "pad_id": tok.token_to_id("[PAD]"),
            "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                       "token_type_ids": "token_type_ids"},
        },
        "postprocessing": {"type": "softmax-top-k", "output": "logits", "top_k": 3},
        "labels": ["a", "b", "c"],
        "origin": "import",
        "import": {"source": "hf_tokenizers.classifier_fixture", "tool": "streaminfer-fixture",
                   "inferred": {}, "assumed": {}},
    }
    (d / "model.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH, direction="right")
    examples = []
    for text in texts():
        e = tok.encode(text)
        feed = {"input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
        logits = session.run(["logits"], feed)[0][0]
        examples.append({"text": text, "ids": e.ids, "logits": [float(v) for v in logits]})
    (d / "reference.json").write_text(
        json.dumps({"examples": examples}, ensure_ascii=False) + "\n", encoding="utf-8")
    return d


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
    print(classifier_fixture())
