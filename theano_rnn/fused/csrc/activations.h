/* theano_rnn/fused/csrc/activations.h

   The activations and their derivatives through the activation's output.
   Uses theano_rnn_tanhf, the float32 tanh of theano_rnn.fastmath (generated
   in Python from its coefficients: the support code puts it first, and the
   test that compiles this file on its own passes it with -include). */
#ifndef THEANO_RNN_FUSED_ACTIVATIONS_H
#define THEANO_RNN_FUSED_ACTIVATIONS_H

#include <math.h>

/* Activations (of a pre-activation x) and their derivatives expressed
   through the output y = act(x).  tanh in float32 is the call-free
   approximation of theano_rnn.fastmath, exactly as the scan path computes
   it; in float64 the exact tanh. */
static inline float rnn_tanh(float x) { return theano_rnn_tanhf(x); }
static inline double rnn_tanh(double x) { return tanh(x); }
template<typename T> static inline T rnn_sigmoid(T x)
{ return (T)0.5 + (T)0.5 * rnn_tanh((T)0.5 * x); }
template<typename T> static inline T rnn_hard_sigmoid(T x)
{ T y = (T)0.2 * x + (T)0.5; return y < 0 ? 0 : (y > 1 ? 1 : y); }

template<typename T> static inline T d_tanh(T y) { return 1 - y * y; }
template<typename T> static inline T d_sigmoid(T y) { return y * (1 - y); }
template<typename T> static inline T d_hard_sigmoid(T y)
{ return (y > 0 && y < 1) ? (T)0.2 : (T)0; }
template<typename T> static inline T rnn_linear(T x) { return x; }
template<typename T> static inline T d_linear(T y) { return 1; }
template<typename T> static inline T rnn_relu(T x) { return x > 0 ? x : 0; }
template<typename T> static inline T d_relu(T y) { return y > 0 ? 1 : 0; }

#endif  /* THEANO_RNN_FUSED_ACTIVATIONS_H */
