"""Tests of theano_rnn.preprocessing (pad_sequences and the tokenizer)."""
import numpy as np
import pytest

from theano_rnn.preprocessing import (Tokenizer, clean_review, pad_sequences,
                                      text_to_word_sequence)


def reference_pad(sequences, maxlen=None, dtype="int32", padding="pre",
                  truncating="pre", value=0.):
    """Plain-Python statement of the Keras rule, for 1-D and 2-D items."""
    if maxlen is None:
        maxlen = max([len(s) for s in sequences] + [0])
    item_shape = ()
    for s in sequences:
        if len(s):
            item_shape = np.shape(s[0])
            break
    rows = []
    for s in sequences:
        s = list(s)
        if truncating == "pre":
            kept = s[max(len(s) - maxlen, 0):]
        else:
            kept = s[:maxlen]
        fill = [np.full(item_shape, value)] * (maxlen - len(kept))
        rows.append(fill + kept if padding == "pre" else kept + fill)
    return np.array(rows, dtype=dtype).reshape(
        (len(sequences), maxlen) + item_shape)


SEQUENCES = [[1, 2, 3, 4, 5], [], [6], [7, 8, 9]]


@pytest.mark.parametrize("maxlen", [None, 1, 2, 3, 5, 7])
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_pad_sequences_matches_reference_for_every_side_and_length(
        maxlen, padding, truncating):
    got = pad_sequences(SEQUENCES, maxlen=maxlen, padding=padding,
                        truncating=truncating)
    want = reference_pad(SEQUENCES, maxlen, padding=padding,
                         truncating=truncating)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_pad_sequences_pre_and_post_put_padding_and_cuts_on_the_right_side():
    seqs = [[1, 2, 3], [4]]
    np.testing.assert_array_equal(
        pad_sequences(seqs, maxlen=2), [[2, 3], [0, 4]])
    np.testing.assert_array_equal(
        pad_sequences(seqs, maxlen=2, padding="post", truncating="post"),
        [[1, 2], [4, 0]])


def test_pad_sequences_maxlen_none_uses_longest_sequence():
    assert pad_sequences([[1], [1, 2, 3], []]).shape == (3, 3)


def test_pad_sequences_empty_sequence_gives_row_of_padding():
    out = pad_sequences([[], [1, 2]], value=9)
    np.testing.assert_array_equal(out, [[9, 9], [1, 2]])


def test_pad_sequences_all_empty_sequences_give_zero_width_or_padding():
    assert pad_sequences([[], []]).shape == (2, 0)
    np.testing.assert_array_equal(pad_sequences([[], []], maxlen=2),
                                  [[0, 0], [0, 0]])


def test_pad_sequences_no_sequences_gives_empty_array():
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([], maxlen=4).shape == (0, 4)


def test_pad_sequences_value_and_float_dtype_are_respected():
    seqs = [[0.5, 1.5], [2.5]]
    got = pad_sequences(seqs, maxlen=3, dtype="float32", value=-1.0,
                        padding="post")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(
        got, reference_pad(seqs, 3, "float32", "post", "pre", -1.0))


def test_pad_sequences_int_dtype_truncates_floats_like_numpy():
    np.testing.assert_array_equal(pad_sequences([[1.7, 2.2]]), [[1, 2]])


def test_pad_sequences_accepts_generators_and_arrays():
    gen = (np.arange(n) for n in (1, 3))
    np.testing.assert_array_equal(pad_sequences(gen), [[0, 0, 0], [0, 1, 2]])


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_pad_sequences_of_vectors_gives_3d_output(padding, truncating):
    seqs = [[[1, 2], [3, 4], [5, 6]], [], [[7, 8]]]
    got = pad_sequences(seqs, maxlen=2, dtype="float64", padding=padding,
                        truncating=truncating, value=0.5)
    assert got.shape == (3, 2, 2)
    np.testing.assert_array_equal(
        got, reference_pad(seqs, 2, "float64", padding, truncating, 0.5))


@pytest.mark.parametrize("kwargs, argument", [
    (dict(padding="middle"), "padding"),
    (dict(truncating="both"), "truncating"),
    (dict(maxlen=0), "maxlen"),
    (dict(maxlen=-3), "maxlen"),
    (dict(maxlen=2.5), "maxlen"),
])
def test_pad_sequences_bad_argument_raises_value_error_naming_it(
        kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        pad_sequences([[1, 2]], **kwargs)


def test_pad_sequences_non_iterable_input_raises_value_error():
    with pytest.raises(ValueError, match="sequences"):
        pad_sequences(3)
    with pytest.raises(ValueError, match="element 1"):
        pad_sequences([[1], 2])


def test_pad_sequences_items_of_different_shape_raise_value_error():
    with pytest.raises(ValueError, match="sequence 1 .*shape"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])


def test_text_to_word_sequence_lowercases_and_strips_punctuation():
    assert text_to_word_sequence("Hello, World!\tIt's  me...") == [
        "hello", "world", "it's", "me"]


def test_text_to_word_sequence_options_are_honoured():
    assert text_to_word_sequence("A-b C", lower=False) == ["A", "b", "C"]
    assert text_to_word_sequence("a;b;c", filters="", split=";") == [
        "a", "b", "c"]


def test_clean_review_turns_html_line_breaks_into_word_breaks():
    text = "The end.<br /><br />Next<BR/>part<br>x"
    assert "br" not in text_to_word_sequence(clean_review(text))
    assert text_to_word_sequence(clean_review(text)) == [
        "the", "end", "next", "part", "x"]


def test_tokenizer_indexes_by_frequency_ties_in_first_occurrence_order():
    tok = Tokenizer()
    tok.fit_on_texts(["b a c", "c a c"])
    assert tok.word_counts == {"b": 1, "a": 2, "c": 3}
    assert tok.word_index == {"c": 1, "a": 2, "b": 3}
    assert tok.texts_to_sequences(["a b z c"]) == [[2, 3, 1]]


def test_tokenizer_fit_accumulates_over_calls():
    tok = Tokenizer()
    tok.fit_on_texts(["x y"])
    tok.fit_on_texts(["y"])
    assert tok.word_index == {"y": 1, "x": 2}


def test_tokenizer_num_words_keeps_indices_below_it():
    tok = Tokenizer(num_words=3)
    tok.fit_on_texts(["a a a b b c"])
    assert tok.texts_to_sequences(["c b a"]) == [[2, 1]]


def test_tokenizer_oov_token_has_index_1_and_replaces_unknown_words():
    tok = Tokenizer(num_words=3, oov_token="<unk>")
    tok.fit_on_texts(["a a b"])
    assert tok.word_index == {"<unk>": 1, "a": 2, "b": 3}
    assert tok.texts_to_sequences(["a b zebra"]) == [[2, 1, 1]]


def test_tokenizer_rejects_bad_num_words():
    with pytest.raises(ValueError, match="num_words"):
        Tokenizer(num_words=0)
