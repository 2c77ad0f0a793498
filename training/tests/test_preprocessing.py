"""The reference pre/post-processing that the Java side reimplements from the cards."""

import numpy as np

from streaminfer_training import preprocessing as pp


def test_splitmix64_matches_the_published_sequence():
    rng = pp.SplitMix64(0)
    assert [rng.next_u64() for _ in range(3)] == [
        0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def test_gaussian_noise_is_reproducible_and_standard_normal():
    a = pp.gaussian_noise(123, 400, 32)
    assert np.array_equal(a, pp.gaussian_noise(123, 400, 32))
    assert np.array_equal(a[:3], pp.gaussian_noise(123, 3, 32))  # sample i is row i
    assert abs(a.mean()) < 0.03 and abs(a.std() - 1) < 0.03
    assert not np.array_equal(a, pp.gaussian_noise(124, 400, 32))


def test_halving_resize_is_the_mean_of_each_block():
    img = np.arange(16, dtype=np.float64).reshape(4, 4)
    out = pp.resize_bilinear(img, 2, 2)
    assert np.allclose(out, [[2.5, 4.5], [10.5, 12.5]])
    assert np.array_equal(pp.resize_bilinear(img, 4, 4), img)


def test_grey_uses_bt601_weights():
    px = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.float64)
    assert np.allclose(pp.to_grey(px), [[76.245, 149.685, 29.07]])


def test_png_round_trip_keeps_pixels():
    img = (np.arange(64) * 4).reshape(8, 8).astype(np.uint8)
    assert np.array_equal(pp.decode_image(pp.encode_png(img))[:, :, 0], img)


def test_byte_tokens_normalise_truncate_and_pad():
    ids = pp.byte_tokens("  e\u0301\t\tb ", 5)
    assert ids.tolist() == [0xC3 + 1, 0xA9 + 1, ord(" ") + 1, ord("b") + 1, 0]
    assert pp.byte_tokens("abcdef", 3).tolist() == [98, 99, 100]


def test_window_normalisation_uses_population_std_and_floor():
    z, mean, std = pp.normalise_window(np.array([1.0, 3.0]), 1e-6)
    assert (mean, std) == (2.0, 1.0) and z[:, 0].tolist() == [-1.0, 1.0]
    z, mean, std = pp.normalise_window(np.array([5.0, 5.0]), 1e-6)
    assert std == 1e-6 and z[:, 0].tolist() == [0.0, 0.0]


def test_generated_pixels_round_half_up_and_clamp():
    v = np.array([-1.0, 1.0, 0.0, 2.0, -3.0])
    assert pp.generated_to_uint8(v, -1, 1).tolist() == [0, 255, 128, 255, 0]
