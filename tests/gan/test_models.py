import ast
import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import qrkt.gan
from qrkt.errors import QrktError
from qrkt.gan import Discriminator, Generator, build_gan, get_gan_preset
from qrkt.gan.models import neighbourhoods, pixel_shuffle
from qrkt.layers import ProductStateLayer
from tests.gan.helpers import compile_fast

# Modules of the networks and their maths: like qrkt.models, they never see a backend.
BACKEND_FREE = ("augment.py", "config.py", "losses.py", "metrics.py", "models.py")


def test_network_modules_import_no_backend() -> None:
    package = Path(qrkt.gan.__file__).parent
    for name in BACKEND_FREE:
        for node in ast.walk(ast.parse((package / name).read_text())):
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else []
                modules += [alias.name for alias in node.names]
                assert not any(str(m).startswith("qrkt.backends") for m in modules), name


def test_pixel_shuffle_moves_each_tokens_features_to_a_2x2_block() -> None:
    tokens = jnp.arange(2 * 4 * 8).reshape(2, 4, 8)  # a 2x2 grid of 8 features
    shuffled = np.asarray(pixel_shuffle(tokens, 2)).reshape(2, 4, 4, 2)
    for row in range(4):
        for column in range(4):
            token = (row // 2) * 2 + column // 2
            blocks = np.asarray(tokens)[:, token].reshape(2, 2, 2, 2)  # (batch, dy, dx, c)
            np.testing.assert_array_equal(shuffled[:, row, column], blocks[:, row % 2, column % 2])


def test_networks_map_latents_to_images_to_scores() -> None:
    config = get_gan_preset("digits-transgan").model
    generator, discriminator = build_gan(config)
    latents = jax.random.normal(jax.random.PRNGKey(0), (3, config.latent))

    def run(latents: jax.Array) -> tuple:
        images, params = generator.init_with_output(jax.random.PRNGKey(1), latents)
        return params, images, discriminator.init_with_output(jax.random.PRNGKey(2), images)[0]

    params, images, scores = compile_fast(run, latents)(latents)  # one compilation for all
    assert images.shape == (3, 8, 8, 1)
    assert float(jnp.abs(images).max()) <= 1.0
    assert scores.shape == (3,)
    assert set(params["params"]) == {
        "input", "position1", "stage1", "upsample2", "position2", "stage2", "to_image",
    }  # fmt: skip


def test_quantum_networks_put_circuits_in_attention_and_mlp() -> None:
    config = get_gan_preset("digits-qgan").model
    generator = Generator(config, lambda width, name=None: ProductStateLayer(width, name=name))
    params = jax.eval_shape(generator.init, jax.random.PRNGKey(0), jnp.zeros((1, 16)))["params"]
    stage = params["stage2"]["stages"]  # the RK4_ENH block's four stages, stacked
    assert stage["attention"]["query"]["weights"].shape == (4, 8)
    assert stage["feed_forward"]["circuit"]["weights"].shape == (4, 8)


def test_a_quantum_config_needs_a_factory() -> None:
    config = get_gan_preset("digits-qgan").model
    with pytest.raises(QrktError, match="a quantum GAN configuration needs a quantum_layer"):
        Discriminator(config).init(jax.random.PRNGKey(0), jnp.zeros((1, 8, 8, 1)))


@pytest.mark.parametrize(("readout", "features"), [("class_token", 8), ("all_tokens", 17 * 8)])
def test_the_critic_reads_its_class_token_or_every_token(readout: str, features: int) -> None:
    config = dataclasses.replace(get_gan_preset("digits-transgan").model, critic_readout=readout)
    images = jnp.zeros((1, 8, 8, 1))
    params = jax.eval_shape(Discriminator(config).init, jax.random.PRNGKey(0), images)["params"]
    assert params["score"]["kernel"].shape == (features, 1)  # the class token and 16 patches


@pytest.mark.parametrize("kernel", [1, 3])
def test_the_generator_ends_in_a_convolution_of_its_output_kernel(kernel: int) -> None:
    config = dataclasses.replace(get_gan_preset("digits-transgan").model, output_kernel=kernel)
    latents = jnp.zeros((1, config.latent))
    params = jax.eval_shape(Generator(config).init, jax.random.PRNGKey(0), latents)["params"]
    assert params["to_image"]["kernel"].shape == (kernel, kernel, 8, 1)


@pytest.mark.parametrize(("channels", "stem"), [(0, []), (16, ["stem1", "stem2"])])
def test_the_critic_runs_its_convolutional_stem_before_the_patches(
    channels: int, stem: list[str]
) -> None:
    config = dataclasses.replace(get_gan_preset("digits-transgan").model, critic_stem=channels)
    critic, images = Discriminator(config), jnp.zeros((2, 8, 8, 1))

    def run(images: jax.Array) -> tuple[dict, jax.Array]:
        variables = critic.init(jax.random.PRNGKey(0), images)
        return variables["params"], critic.apply(variables, images)

    params, scores = compile_fast(run, images)(images)
    assert sorted(name for name in params if name.startswith("stem")) == stem
    assert params["embedding"]["Conv_0"]["kernel"].shape == (2, 2, channels or 1, 8)
    assert scores.shape == (2,)


def test_a_dense_layer_over_neighbourhoods_is_a_3x3_convolution() -> None:
    images = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 4, 3))
    kernel = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 3, 6))
    convolved = jax.lax.conv_general_dilated(
        images, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    dense = neighbourhoods(images) @ kernel.reshape(27, 6)
    np.testing.assert_allclose(dense, convolved, atol=1e-5)
