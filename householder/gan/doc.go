// Package gan is the small style-based GAN on which the Householder
// projector (package householder) is compared with SeFa and GANSpace: a
// mapping network and modulated-convolution synthesis (Generator), whose
// style affines can be replaced by Householder projectors (WithProjector)
// and which may have StyleGAN2's per-pixel noise inputs, a discriminator,
// the non-saturating GAN with lazy R1 and EMA and, optionally, StyleGAN2's
// style mixing and lazy path-length regulariser (GAN; both regularisers
// with exact second-order gradients, reg.go), its resumable training loop
// on sprites (GAN.Train), a fixed-batch sampler and traversal renderer, a
// small CNN feature net for Fréchet distances, and the read-out of sprite
// factors from rendered images (MeasureImages) that the disentanglement
// scores of package metrics are computed from.
package gan
