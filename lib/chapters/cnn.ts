/**
 * Chapter 6's convolutional network for MNIST, shared by the notebook and its tests.
 *
 * @module
 */
import type { CnnSpec } from "../nn/cnn.ts";

/** The chapter's CNN for MNIST: 5×5 convolutions with 16 and 32 filters, 128 hidden units. */
export const MNIST_CNN_SPEC: Readonly<CnnSpec> = { channels: [16, 32], filterSize: 5, hidden: 128 };
