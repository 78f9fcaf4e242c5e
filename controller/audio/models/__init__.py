"""DSP models of the outboard units and of the insert loop they sit in, for printing offline.

A print made without hardware should sound like its settings. Every model takes blocks of
shape=(frames, channels), float64, and carries its state, so the output does not depend on
how the signal is cut into blocks (numpy and scipy only). Levels are dBFS; a unit's
threshold scale in dB is read against ALIGNMENT_DBFS (-18 dBFS = 0 dB). Switches named
``bypass``, ``eq_in`` or ``compressor_in`` (per side where the profile has sides) pass audio
through; a mono unit's controls act on every channel (a matched pair); a dual-mono unit's
_l/_r controls act on alternate channels; a mid-side unit's _m/_s controls act on M and S.
Corner frequencies above 0.45 x the sample rate are pulled down to it.

=================================  =========================================================
profile                            model: what each control drives
=================================  =========================================================
pultec-eqp-1a                      EQ. low_boost: low shelf at low_freq, 1.35 dB/step, Q 0.5;
                                   low_atten: low shelf cut at 2 x low_freq, 1.75 dB/step;
                                   high_boost: bell at high_freq, 1.8 dB/step, bandwidth 0-10
                                   = 0.25-2.5 octaves; high_atten: high shelf cut at
                                   atten_select, 1.6 dB/step; eq_in
stepped-mastering-eq               EQ per side. high_pass: 12 dB/oct high-pass (0 = off);
                                   low/high shelf (freq, gain); low/high mid bells (freq,
                                   gain, q); eq_in
manley-massive-passive             EQ per side. band1-4: gain at freq, shape bell (bandwidth
                                   0-10 = 0.3-3 octaves) or shelf (bands 1-2 low, 3-4 high,
                                   Q 1.2-0.5); high_pass, low_pass (12 dB/oct, off when 0 or
                                   past 0.45 fs); output_gain; eq_in
behringer-dsp1100                  EQ. One bell at frequency x 2^(fine/60), bandwidth/60
                                   octaves wide, gain; filter_mode O = off (P, A, S: the
                                   bell). filter_select, engine, feedback_threshold and
                                   in_out (meaning unverified) are not read
generic-serial-ascii               EQ. A bell of gain at frequency, one octave wide; bypass
tc-finalizer-96k                   In this order: normalizer_gain + eq_overall_gain; EQ:
                                   low_cut (high-pass, off at its 5 Hz minimum), low/high
                                   shelves (freq, gain, slope/12 = RBJ shelf slope), bands
                                   1-3 bells (freq, gain, bw octaves); stereo_adjust_ms: side
                                   gain in dB; balance: cuts the far side (+ = right);
                                   limiter at dynamics_ceiling (instant attack, 50 ms
                                   release); analog_out_gain; bypass
api-2500                           Compressor, peak sensing. threshold (+ -18 dBFS), ratio
                                   (1000 = inf), attack, release (0 = variable_release),
                                   knee hard/med/soft = 0/6/12 dB, link, makeup_gain,
                                   compressor_in. thrust and type (feedback) not modelled
shadow-hills-mastering-compressor  Two compressors and a transformer per side. Optical:
                                   threshold 0-10 = 0 to -30 dBFS, fixed 3:1, 10 ms, 0.6 s,
                                   10 dB knee, optical_gain, optical_in. Discrete: threshold
                                   as above, ratio, attack, recovery (Dual = 0.6 s),
                                   discrete_gain, discrete_in. sidechain_filter: detector
                                   high-pass; stereo_link; transformer nickel = clean, iron,
                                   steel = tanh at -6 / 0 dB drive
generic-midi-cc                    Compressor template: input_gain into a fixed threshold at
                                   -18 dBFS; ratio, attack, 200 ms release; detector peak,
                                   RMS (10 ms) or program (RMS 50 ms); sidechain_hpf; bypass
drawmer-m500                       Gain: output_level_l on the left; the right (no control
                                   in the profile) at unity. No dynamics controls to model
elektron-analog-heat-mkii          Saturation: drive 0-127 = 0-36 dB into tanh (unity for
                                   small signals), circuit = bias (even harmonics);
                                   eq_low/high +-64 = +-12 dB shelves at 100 Hz / 8 kHz;
                                   vcf_freq 0-127 = 20 Hz-20 kHz low-pass (open at the top),
                                   resonance = Q 0.71-8, vcf_freq_pan = +-1 octave L/R; wet
                                   = wet/64 x; dry_wet = mix; preset_volume = volume/100 x
tc-system-6000-faders              Gain: fader N (dB) on channel N; the bottom is silence
diy-motor-fader-mcu                Pass-through: its faders are in % of travel (a MIDI
                                   controller, no audio); faders in dB would act as above
stepped-attenuator                 Gain: attenuation in dB ("off" = silence), per side if
                                   the profile has sides
bricasti-m7                        Reverb tail at -30 dB (no level control in the
                                   profile): 8-line FDN, T60 0.6-3 s by program
eventide-h9                        Reverb tail at -30 dB + 0.2 dB per % of hotknob, T60
                                   0.6-3 s by preset; bypass (bypassed / active)
any other profile                  Pass-through (unity), never an error
=================================  =========================================================

AnalogLoop: the chain, then the latency as a delay line plus a 64-tap Kaiser-windowed sinc
centred on the fraction (a centred Lagrange interpolator below 31 samples, where the sinc
would need taps before the input), the loop gain and polarity, and uniform white noise of
the given RMS drawn from the seed.
"""

from __future__ import annotations

from .dynamics import ALIGNMENT_DBFS
from .loop import AnalogLoop, ChainModel, LoopCharacter
from .stages import UnitModel
from .units import unit_model

__all__ = ["ALIGNMENT_DBFS", "AnalogLoop", "ChainModel", "LoopCharacter", "UnitModel",
           "unit_model"]
