"""The book's one notation table: every symbol, its meaning, its SI unit and its name in code.

Symbols with scope ``"book"`` mean the same thing on every page. A few letters are needed only inside one
chapter (a queue's arrival rate, a loss law's exponents); those carry the chapter's docname as their scope.
Every symbol has one meaning in the whole book: a chapter never reuses a symbol another entry defines (it
adds a subscript instead, as in $\alpha_\text{c}$). The notation page renders the whole table, and docstrings
use the same letters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Symbol:
    symbol: str  # LaTeX, without dollar signs
    meaning: str
    unit: str
    code: str  # the name used in lib
    scope: str = "book"  # "book", or the docname of the one chapter that uses it


SYMBOLS: tuple[Symbol, ...] = (
    Symbol(r"N_\text{total}", "parameters in the model", "count", "total_params"),
    Symbol(r"N_\text{active}", "parameters used per token (MoE: shared + routed experts chosen)", "count", "active_params"),
    Symbol(r"s", r"sparsity $N_\text{total} / N_\text{active}$", "1", "sparsity"),
    Symbol(r"B", "batch: sequences decoding together in one step", "sequences", "batch"),
    Symbol(r"L", "context length of a sequence", "tokens", "context"),
    Symbol(r"F", "dense FLOP/s of one accelerator at a precision", "FLOP/s", "flops_per_s"),
    Symbol(r"W_\text{hbm}", "HBM bandwidth of one accelerator", "bytes/s", "hbm_bandwidth_Bps"),
    Symbol(r"C_\text{hbm}", "HBM capacity of one accelerator", "bytes", "hbm_capacity_bytes"),
    Symbol(r"b_w", "bytes per weight (2 for bf16, 1 for fp8, 0.5 for fp4)", "bytes", "bytes_per_weight"),
    Symbol(r"b_{kv}", "KV-cache bytes one token of context adds (all full-attention layers)", "bytes", "kv_bytes_per_token"),
    Symbol(r"n", "accelerators in a model replica", "count", "chips"),
    Symbol(r"t_\text{compute}", r"compute time of a decode step, $2 B N_\text{active} / (n F)$", "s", "compute_s"),
    Symbol(r"t_\text{weights}", r"weight-read time of a step, $N_\text{total} b_w / (n W_\text{hbm})$", "s", "weights_s"),
    Symbol(r"t_{kv}", r"KV-read time of a step, $B L b_{kv} / (n W_\text{hbm})$", "s", "kv_s"),
    Symbol(r"t_\text{step}", r"$\max(t_\text{compute}, t_\text{weights} + t_{kv})$", "s", "step_s"),
    Symbol(r"T", r"HBM drain time $C_\text{hbm} / W_\text{hbm}$: the batch train's period", "s", "hbm_drain_time_s"),
    Symbol(r"B^*", "optimal batch: compute time = weight-read time", "sequences", "optimal_batch"),
    Symbol(r"B_s, B_f", "batch of the standard mode and of a fast mode on the same replica", "sequences",
           "standard_batch, fast_batch"),
    Symbol(r"w", "the standard mode's weight share: weights ÷ the replica's usable HBM (KV fills the rest)", "1",
           "weight_share"),
    Symbol(r"D", "training tokens", "tokens", "training_tokens"),
    Symbol(r"\eta_W", r"achievable fraction of $W_\text{hbm}$: a benchmark's bandwidth ÷ the datasheet's", "1",
           "achievable_fraction"),
    Symbol(r"\eta_F", r"achievable fraction of $F$: a benchmark's dense matmul FLOP/s ÷ the datasheet's", "1",
           "achievable_fraction"),
    Symbol(r"E", "routed experts per MoE layer", "count", "routed_experts"),
    Symbol(r"k", "routed experts each token is sent to (top-k)", "count", "active_experts"),
    Symbol(r"\bar E(B)", "expected routed experts a step of B tokens touches per MoE layer", "count",
           "experts_touched"),
    Symbol(r"f_\text{attn}", "FLOPs of one query attending to one context token in one layer", "FLOP",
           "attention_core_flops_per_context_token"),
    Symbol(r"u_\text{train}, u_\text{dec}", "utilisation of training and of decode: achieved ÷ peak dense FLOP/s of "
           "the format used", "1", "training_utilisation, decode_utilisation"),
    Symbol(r"U_\text{day}, r_\text{day}", "daily users, and tokens (prompt and output) per daily user per day",
           "users, tokens", "daily_users, tokens_per_daily_user_per_day"),
    Symbol(r"d_\text{serve}", "days a model serves before its successor takes its traffic", "days",
           "model_serving_days"),
    Symbol(r"c", r"cost of a token in accelerator-seconds, $n\, t_\text{step} / B$ (a function of the batch or the "
           "context)", "s", "chip_seconds_per_token"),
    Symbol(r"N", r"parameters of a dense model ($N_\text{total} = N_\text{active}$), as in a loss law", "count",
           "params"),
    Symbol(r"f_i, m_i, F_i", "FLOPs and HBM bytes of operation i in one step, and the dense FLOP/s of the format it "
           "runs in", "FLOP, bytes, FLOP/s", "Operation.flops, .bytes, hardware.flops(precision)"),
    Symbol(r"t_\text{pooled}, t_\text{per-op}", "step time with every kernel overlapped / each on its own roofline",
           "s", "pooled_s, per_op_s"),
    Symbol(r"N_\text{bytes}", "bytes of all stored weights, each class in its format", "bytes",
           "weight_storage_bytes"),
    Symbol(r"r_\text{hbm}", "share of HBM reserved for activations and workspace", "1", "HBM_RESERVE_FRACTION"),
    Symbol(r"L_\text{max}", "longest context at which a step can still be compute bound: "
           r"$\mathrm{kv}(L_\text{max}) / W_\text{hbm} = 2 N_\text{active} / F$", "tokens",
           "compute_bound_context_limit"),
    Symbol(r"n_h, n_{kv}", "query heads and KV heads of an attention layer", "count", "n_heads, n_kv_heads"),
    Symbol(r"d_h", "head dimension", "elements", "head_dim"),
    Symbol(r"d_c, d_r", "MLA: the KV latent rank, and the RoPE key dimension", "elements",
           "kv_lora_rank, qk_rope_head_dim"),
    Symbol(r"f_\text{load}", "load factor: mean load ÷ peak (a grid's, or a service's interactive demand over a "
           "day)", "1", "load_factor, daily_load_utilisation"),
    Symbol(r"n_\text{in}, n_\text{out}", "prompt and output tokens of a request", "tokens",
           "prompt_tokens, output_tokens"),
    Symbol(r"x", "bytes of one piece of data: a message a collective moves, or data kept in a memory tier", "bytes",
           "message_bytes, bytes"),
    Symbol(r"D_\text{serve}", "tokens served over a model's lifetime", "tokens", "served_tokens"),
    Symbol(r"u", r"utilisation of a workload: achieved ÷ peak dense FLOP/s of the format it runs in ($u_\text{train}$, "
           r"$u_\text{dec}$ for training and decode)", "1", "utilisation"),
    # ---- local to one chapter ----------------------------------------------------------------------------
    Symbol(r"F_p, F_\text{bf16}, F_\text{fp8}, F_\text{fp4}", "dense FLOP/s of one accelerator in the format p the "
           "weights and arithmetic share, and in bf16, fp8 and fp4", "FLOP/s", "hardware.flops(precision)",
           "chapters/batch-300x-sparsity"),
    Symbol(r"V_\text{global}", "a reported global token volume per second (the report's tokens a month ÷ the "
           "seconds of an average month)", "tokens/s", "ThroughputReport.tokens_per_month",
           "chapters/batch-300x-sparsity"),
    Symbol(r"B^*_\text{experts}", "batch at which the routed-expert matmuls turn compute bound", "tokens",
           "operation_optimal_batch", "chapters/batch-300x-sparsity"),
    Symbol(r"\Lambda(L)", "layer-tokens one query attends to at context L", "tokens", "attended_tokens_sum",
           "chapters/context-plateau"),
    Symbol(r"b_{kv,\ell}", "cache bytes one token adds to one layer", "bytes", "kv_bytes_per_token_per_layer",
           "chapters/context-plateau"),
    Symbol(r"H_I, d_I", "DSA indexer heads and head dimension", "count", "indexer_heads, indexer_head_dim",
           "chapters/context-plateau"),
    Symbol(r"k_\text{sparse}", "tokens DSA's main attention reads (top-k)", "tokens", "sparse_topk_tokens",
           "chapters/context-plateau"),
    Symbol(r"b_\text{index}", "bytes of one DSA index key and its scale per token and layer", "bytes",
           "index_key_bytes_per_token_per_layer", "chapters/context-plateau"),
    Symbol(r"\lambda", "request arrival rate", "requests/s", "arrival_rate_per_s", "chapters/train-20ms"),
    Symbol(r"\rho", r"offered load: $\lambda T / B$ on the train, $\lambda / \lambda_\text{max}$ with continuous batching",
           "1", "load", "chapters/train-20ms"),
    Symbol(r"\delta", "share of time a user is decoding", "1", "duty_cycle", "chapters/train-20ms"),
    Symbol(r"U", r"users that fill one train, $B/\delta$", "users", "streams_to_fill", "chapters/train-20ms"),
    Symbol(r"B_\text{cap}", "sequences whose KV cache fits beside the weights at context L", "sequences",
           "max_batch", "chapters/train-20ms"),
    Symbol(r"\bar L", "time-averaged context of a seated request", "tokens", "time_averaged_context",
           "chapters/train-20ms"),
    Symbol(r"n_\text{dec}, n_\text{pre}", "sequences decoding, and prompt tokens prefilled, in one step",
           "sequences, tokens", "step_decoding, step_prefill_tokens", "chapters/train-20ms"),
    Symbol(r"K_\text{step}", "token budget of a step (decode tokens first, then prompt chunks)", "tokens",
           "token_budget", "chapters/train-20ms"),
    Symbol(r"W(\cdot), A_\text{dec}(L)", "weight operations of a step of that many tokens; attention of one "
           "decoding sequence at context L", "s", "StepCosts.weights_s, decode_attention_s", "chapters/train-20ms"),
    Symbol(r"A_k, Q_k, Q_{k+1}, Q_0", "arrivals in period k, and requests still waiting after departure k (the backlog's "
           "random walk, from $Q_0 = 0$)", "requests", "arrivals, backlog", "chapters/train-20ms"),
    Symbol(r"n_\text{ahead}", "requests that arrived earlier in the same period", "requests", "rank",
           "chapters/train-20ms"),
    Symbol(r"n_\text{weights}", "fewest accelerators whose HBM holds the weights (less the reserve)", "count",
           "chips_to_fit", "chapters/train-20ms"),
    Symbol(r"L_j", "context of decoding sequence j", "tokens", "context", "chapters/train-20ms"),
    Symbol(r"A_\text{chunk}, A_\text{pre}(n_\text{in})", "a prompt chunk's share of its prompt's prefill attention, and "
           "the attention of a whole prompt prefilled from scratch", "s", "prefill_attention_s", "chapters/train-20ms"),
    Symbol(r"n_\text{max}", "most sequences that can decode in a step at capacity, prefill's share included",
           "sequences", "decoding_at_capacity", "chapters/train-20ms"),
    Symbol(r"t_\text{spec}", "time of a speculative step: verify plus draft passes", "s", "speculative_step(…).step_s",
           "chapters/train-20ms"),
    Symbol(r"N_\text{draft}", "parameters of the draft (MTP) module", "count", "draft_module_params", "chapters/train-20ms"),
    Symbol(r"\lambda_\text{max}", "requests per second a replica finishes at capacity", "requests/s",
           "capacity_rate_per_s", "chapters/train-20ms"),
    Symbol(r"\gamma, \alpha_\text{acc}", "draft tokens per speculative step and the acceptance of each", "tokens, 1",
           "draft_tokens, acceptance", "chapters/train-20ms"),
    Symbol(r"n_q", r"query tokens per sequence in a step, $\gamma + 1$", "tokens", "query_tokens_per_sequence",
           "chapters/train-20ms"),
    Symbol(r"\mu", "tokens a sequence emits per speculative step", "tokens", "expected_tokens_per_step",
           "chapters/train-20ms"),
    Symbol(r"c_\text{draft}", "a draft pass's cost as a fraction of a plain step", "1", "draft_cost_fraction",
           "chapters/train-20ms"),
    Symbol(r"S", "speed ratio, fast ÷ standard tokens/s per user", "1", "speed_ratio", "chapters/fast-mode"),
    Symbol(r"P", "price ratio per token, fast ÷ standard", "1", "price_ratio", "chapters/fast-mode"),
    Symbol(r"\varphi", "KV-read share of the standard mode's step", "1", "kv_share", "chapters/fast-mode"),
    Symbol(r"\zeta", "one sequence's compute time per step", "s", "compute_per_sequence_s", "chapters/fast-mode"),
    Symbol(r"t(B)", "the blackboard's step time at batch B", "s", "step_time_s", "chapters/fast-mode"),
    Symbol(r"c_\infty", r"the blackboard's cost per token as $B \to \infty$, $n \max(\zeta, \kappa)$", "s",
           "slow_mode_saving", "chapters/fast-mode"),
    Symbol(r"n_\text{fast}, n_\text{std}", "accelerators of a fast-mode replica and of the standard one", "count",
           "chips", "chapters/fast-mode"),
    Symbol(r"t_\text{coll}", "measured small-message latency of one collective", "s", "COLLECTIVE_LATENCY",
           "chapters/fast-mode"),
    Symbol(r"n_\ell", "layers of a model", "count", "layers", "chapters/fast-mode"),
    Symbol(r"a_\text{day}, h, h_\text{peak}", r"daily demand swing $1 + a_\text{day} \cos(2\pi (h - h_\text{peak})/24)$: "
           "its amplitude (÷ the mean), the hour, and the hour of the peak", "1, h, h", "amplitude, hours, peak_hour",
           "chapters/fast-mode"),
    Symbol(r"s_\text{batch}", "share of a token's cost a bigger (Slow Mode) batch saves", "1", "roofline_saving",
           "chapters/fast-mode"),
    Symbol(r"\kappa", "one sequence's KV-read time per step", "s", "kv_per_sequence_s", "chapters/fast-mode"),
    Symbol(r"t_\text{floor}", "latency of a sharded step's collectives, whatever its batch", "s",
           "collective_latency_floor_s", "chapters/fast-mode"),
    Symbol(r"L^*", "context at which KV reads equal compute (the price breakpoint)", "tokens", "breakpoint_context",
           "chapters/prices-leak"),
    Symbol(r"b_{kv}^*", r"KV bytes per token that put the breakpoint at $L^*$", "bytes", "breakpoint_kv_bytes",
           "chapters/prices-leak"),
    Symbol(r"c_\text{prefill}, c_\text{decode}", "cost of a prompt token and of an output token in "
           "accelerator-seconds (functions of the prompt length and of the context)", "s",
           "prefill_chip_seconds_per_token, chip_seconds_per_token", "chapters/prices-leak"),
    Symbol(r"t_\text{prefill}", "time of a prefill step over a whole prompt", "s", "n · prefill_chip_seconds_per_token_refined", "chapters/prices-leak"),
    Symbol(r"r_\text{cost}", r"decode ÷ prefill cost per token, $c_\text{decode} / c_\text{prefill}$", "1",
           "decode_to_prefill_cost_ratio", "chapters/prices-leak"),
    Symbol(r"L_\text{tier}", "prompt length at which a long-context price tier starts", "tokens", "short_tokens",
           "chapters/prices-leak"),
    Symbol(r"\rho_k", "time to reload a token's KV from tier k ÷ time to recompute it by prefill", "1",
           "reload_to_recompute_ratio", "chapters/prices-leak"),
    Symbol(r"\tau_\text{res}", "interval at which data kept in a tier is re-read", "s", "—",
           "chapters/prices-leak"),
    Symbol(r"c_\text{dram}, \beta_\text{dram}, T_\text{dram}", "capacity price, bandwidth price and drain time of "
           "DRAM (tier k = DRAM)", "USD/byte, USD/(bytes/s), s", "usd_per_byte, usd_per_Bps, drain_time_s",
           "chapters/prices-leak"),
    Symbol(r"\omega", "share of a replica's HBM filled by weights", "1", "weight_share", "chapters/prices-leak"),
    Symbol(r"\tau^*", "break-even residence time of data in a memory tier", "s", "break_even_s",
           "chapters/prices-leak"),
    Symbol(r"C_k, W_k, T_k", "capacity, bandwidth and drain time $C_k/W_k$ of memory tier k", "bytes, bytes/s, s",
           "capacity_bytes, bandwidth_Bps, drain_time_s", "chapters/prices-leak"),
    Symbol(r"c_k, \beta_k", "capacity price (price ÷ $C_k$) and bandwidth price (price ÷ $W_k$) of memory tier k",
           "USD/byte, USD/(bytes/s)", "usd_per_byte, usd_per_Bps", "chapters/prices-leak"),
    Symbol(r"\beta_\text{rc}, P_\text{acc}", "bandwidth price of recomputing KV by prefill, and the price of the "
           "accelerator that does it", "USD/(bytes/s), USD", "usd_per_Bps_elsewhere, price_usd",
           "chapters/prices-leak"),
    Symbol(r"b_\text{el}", "bytes per element of the KV cache (2 in bf16, 1 in fp8)", "bytes", "bytes_per_element",
           "chapters/context-plateau"),
    Symbol(r"C_\text{pool}", "bytes of a memory pool one sequence's cache must fit in", "bytes", "capacity_bytes",
           "chapters/context-plateau"),
    Symbol(r"L_\text{ref}, G_\text{hw}", r"a reference context, and the factor by which $F$ and $W_\text{hbm}$ must both "
           r"grow for context $L$ to cost what $L_\text{ref}$ does: $c(L)/c(L_\text{ref})$", "tokens, 1",
           "reference_context, hardware_factor_to_match", "chapters/context-plateau"),
    Symbol(r"L_0", "context at which √-sparse attention starts to skip tokens", "tokens", "crossover_tokens",
           "chapters/context-plateau"),
    Symbol(r"K(L)", "tokens a sparse attention layer reads at context L", "tokens", "sparse_attended_tokens",
           "chapters/context-plateau"),
    Symbol(r"n_\text{dom}", "accelerators in a scale-up domain", "count", "scale_up_domain_size",
           "chapters/context-plateau"),
    Symbol(r"d", "hidden size", "elements", "hidden_size", "chapters/racks"),
    Symbol(r"b_a", "bytes per activation element on a link", "bytes", "bytes_per_activation", "chapters/racks"),
    Symbol(r"W_\text{up}, W_\text{out}", "scale-up and scale-out link bandwidth per accelerator, one direction",
           "bytes/s", "scale_up_bandwidth_Bps, scale_out_bandwidth_Bps", "chapters/racks"),
    Symbol(r"p", "pipeline stages", "count", "stages", "chapters/racks"),
    Symbol(r"m", "micro-batches in flight", "count", "micro_batches", "chapters/racks"),
    Symbol(r"t_\text{hop}", "time for activations to cross one pipeline hop", "s", "hop_s", "chapters/racks"),
    Symbol(r"g", "accelerators taking part in one collective (expert- or tensor-parallel group)", "count", "group",
           "chapters/racks"),
    Symbol(r"W_\text{bis}", "bandwidth across the bisection of a group, one direction", "bytes/s", "bisection_Bps",
           "chapters/racks"),
    Symbol(r"W_\text{a2a}, W_\text{AR}", "per-accelerator bandwidth a uniform all-to-all and an all-reduce get",
           "bytes/s", "a2a_effective_Bps, allreduce_effective_Bps", "chapters/racks"),
    Symbol(r"\alpha_\text{c}", "latency of one collective (base + per-step)", "s", "collective_latency_s", "chapters/racks"),
    Symbol(r"B_\text{comm}", "batch from which a MoE layer's all-to-all outlasts its compute and weight reads",
           "tokens", "comm_bound_batch", "chapters/racks"),
    Symbol(r"t_\text{AR}(x, g), t_\text{TP}", "time of one all-reduce of x bytes among g accelerators, and a "
           "tensor-parallel decode step's all-reduces (two per layer)", "s",
           "allreduce_time_s, tp_comm_time_per_step_s", "chapters/racks"),
    Symbol(r"s_\text{net}", "copies of a token's hidden vector crossing the scale-out network per MoE layer",
           "count", "sends_per_token", "chapters/racks"),
    Symbol(r"t_F, t_B, t_W", "forward, full-backward and weight-gradient time of one pipeline chunk", "s",
           "forward_s, backward_s, weight_grad_s", "chapters/racks"),
    Symbol(r"v", "virtual stages per device (interleaved 1F1B)", "count", "virtual_stages", "chapters/racks"),
    Symbol(r"x_\text{a2a}, x_\text{net}", "bytes one accelerator sends per token it owns and MoE layer: a uniform "
           "all-to-all, and DeepSeek's deployed scale-out traffic", "bytes", "a2a_bytes_per_token, ep_bytes_per_token",
           "chapters/racks"),
    Symbol(r"N_\ell, N_{\text{active},\ell}, N_{\text{total},\ell}", "parameters of one layer (N ÷ layers): all, used per "
           "token, stored", "count", "active_params_per_layer", "chapters/racks"),
    Symbol(r"t_{a2a}", "time of one layer's all-to-all in a decode step", "s", "ep_layer_a2a_time_s", "chapters/racks"),
    Symbol(r"W_\text{link}", "bandwidth per accelerator a uniform all-to-all gets, one direction", "bytes/s", "link_Bps",
           "chapters/racks"),
    Symbol(r"W_g, n_\text{link}", "bandwidth one accelerator can inject into its group, and its scale-up links",
           "bytes/s, count", "a2a_effective_Bps (its cap), links_per_accelerator", "chapters/racks"),
    Symbol(r"d_i, w_i", "a torus's length along axis i, and 2 if that axis closes into a ring (1 otherwise)", "count, 1",
           "torus_dims, wraps", "chapters/racks"),
    Symbol(r"t_\text{base}, t_\text{ring}", "a collective's base latency and the latency of each of its ring steps "
           "(NCCL's cost model)", "s", "base_latency_s, step_latency_s", "chapters/racks"),
    Symbol(r"M, n_\text{node}", "most nodes one token's experts may span (node-limited routing), and the accelerators "
           "in a node", "count", "max_nodes_per_token, gpus_per_node", "chapters/racks"),
    Symbol(r"b_d, b_c", "bytes per element of an expert-parallel dispatch (fp8) and combine (bf16)", "bytes",
           "dispatch_bytes, combine_bytes", "chapters/racks"),
    Symbol(r"B_\text{mb}, M_\text{stage}", "sequences in one pipeline micro-batch, and one stage's memory", "sequences, bytes",
           "microbatch, pipeline_stage_kv_bytes", "chapters/racks"),
    Symbol(r"t_0, t_\text{token}", "fixed latency of one pipeline hop, and a token's time through all the stages", "s",
           "hop_latency_s, pipeline_decode_latency_s", "chapters/racks"),
    Symbol(r"f_\text{bubble}", "share of a training step a GPipe or 1F1B stage sits idle", "1", "bubble_fraction",
           "chapters/racks"),
    Symbol(r"t_{F\&B}", "time of an overlapped forward-and-backward chunk (DualPipe)", "s", "pipeline_bubble_time",
           "chapters/racks"),
    Symbol(r"I_\text{mb}", "arithmetic intensity of a training micro-batch against its weight reads", "FLOP/byte",
           "microbatch_arithmetic_intensity", "chapters/racks"),
    Symbol(r"E_0, A, B_D, \alpha, \beta", r"loss-law constants: $\mathcal{L} = E_0 + A/N^\alpha + B_D/D^\beta$",
           "1", "LossLaw fields", "chapters/overtrained-100x"),
    Symbol(r"\ell", "target loss", "nats/token", "target_loss", "chapters/overtrained-100x"),
    Symbol(r"D_\text{RL}, k_\text{RL}", "RL rollout tokens, and FLOPs per parameter per RL token", "tokens, 1",
           "rl_tokens, k_rl", "chapters/overtrained-100x"),
    Symbol(r"\eta", r"RL rollouts' utilisation relative to pre-training, $u_\text{dec} / u_\text{train}$", "1", "efficiency",
           "chapters/overtrained-100x"),
    Symbol(r"r", "optimality ratio: serving ÷ training compute is $r - 1$ at the optimum", "1", "ratio",
           "chapters/overtrained-100x"),
    Symbol(r"R(C_\text{RL}), R_0, R_\infty", r"benchmark pass rate after RL compute $C_\text{RL}$, at the start, and "
           "its fitted ceiling", "1", "rl_sigmoid", "chapters/overtrained-100x"),
    Symbol(r"C_\text{RL}, C_\text{mid}, b", "RL compute, RL compute at half the gain, and the sigmoid's exponent",
           "GPU-hours, GPU-hours, 1", "compute, midpoint, exponent", "chapters/overtrained-100x"),
    Symbol(r"\psi, z, z_\text{mid}", r"the sigmoid's share of its total gain, $\psi = 1/(1 + e^{-b(z - z_\text{mid})})$, "
           r"with $z = \ln C_\text{RL}$ and $z_\text{mid} = \ln C_\text{mid}$", "1", "rl_sigmoid",
           "chapters/overtrained-100x"),
    Symbol(r"C", "pre-training compute, $6ND$", "FLOP", "compute_flop", "chapters/overtrained-100x"),
    Symbol(r"N_\text{opt}, D_\text{opt}, G", r"compute-optimal parameters and tokens at budget $C$, and the loss law's "
           r"constant $G = (\alpha A / (\beta B_D))^{1/(\alpha+\beta)}$", "count, tokens, 1",
           "compute_optimal", "chapters/overtrained-100x"),
    Symbol(r"C_\text{life}, D_\text{pre}", "a model's lifetime compute (pre-training, RL and serving), and its "
           "pre-training tokens", "FLOP, tokens", "lifetime_flop, pretrain_tokens", "chapters/overtrained-100x"),
    Symbol(r"x_N, y_D", r"the loss law's parameter and data terms, $A/N^\alpha$ and $B_D/D^\beta$", "nats/token",
           "—", "chapters/overtrained-100x"),
    Symbol(r"\nu", "Lagrange multiplier of the compute-optimal split", "1/FLOP", "—", "chapters/overtrained-100x"),
    Symbol(r"a", "model calls per agentic task", "count", "calls_per_task", "chapters/four-scaling-laws"),
    Symbol(r"X_\text{meas}, X_\text{bound}", "tokens/s per accelerator: measured, and the model's bound", "tokens/s",
           "tokens_per_s_per_accelerator", "chapters/reality-check"),
    Symbol(r"\epsilon", r"efficiency $X_\text{meas} / X_\text{bound}$", "1", "efficiency", "chapters/reality-check"),
    Symbol(r"\bar\epsilon", "realism factor: median efficiency of a phase's rows", "1", "realism_factor",
           "chapters/reality-check"),
    Symbol(r"q", "tokens each sequence gains per decode step (speculative decoding)", "tokens", "tokens_per_step",
           "chapters/reality-check"),
    Symbol(r"m_\text{acc}", "HBM bytes one accelerator reads in a step under a deployment's layout", "bytes",
           "layout-bytes (lib.reality)", "chapters/reality-check"),
    Symbol(r"v_\text{user}", "per-user decode speed a row states", "tokens/s", "user_tokens_per_s", "chapters/reality-check"),
    Symbol(r"n_w, n_e", "accelerators that split one copy of the non-expert weights, of the routed experts",
           "count", "weight_shards, expert_shards", "chapters/reality-check"),
    Symbol(r"r_e", "redundant routed-expert replicas per EP group", "count", "redundant_experts",
           "chapters/reality-check"),
    Symbol(r"L_\text{moe}", "MoE layers", "count", "moe_layers", "chapters/reality-check"),
    Symbol(r"P_e, b_e", "weights of one expert, and bytes per expert weight", "count, bytes",
           "expert_params, bytes_per_element(experts)", "chapters/reality-check"),
    Symbol(r"N_\text{ne}", "bytes of the non-expert weights (with the shared experts)", "bytes",
           "weight_storage_bytes − routed", "chapters/reality-check"),
    Symbol(r"T_\text{step}", "tokens a step runs through the weights", "tokens", "tokens", "chapters/reality-check"),
    Symbol(r"H", "accelerator-hours of a training run", "h", "accelerator_hours", "chapters/reality-check"),
    Symbol(r"F_\text{work}, F_\text{pre}, F_\text{test}, F_\text{agent}", "useful work of a workload, of pre-training, of "
           "test-time inference and of agentic calls", "FLOP", "pretraining_flop, serving_flop, agentic_flop",
           "chapters/four-scaling-laws"),
    Symbol(r"C_\text{pre}, C_\text{post}, C_\text{test}, C_\text{agent}", "accelerator time of each axis, in "
           "peak-FLOPs: work ÷ utilisation", "FLOP", "accelerator_flop", "chapters/four-scaling-laws"),
    Symbol(r"d^*", "days of serving after which inference has cost as much accelerator time as pre-training", "days",
           "days_to_match_pretraining", "chapters/four-scaling-laws"),
    Symbol(r"\chi_\text{RL}", "RL accelerator time ÷ pre-training accelerator time", "1",
           "rl_to_pretraining_compute_ratio", "chapters/four-scaling-laws"),
    Symbol(r"p_\text{acc}, s_\text{acc}, S_\text{job}", "Amdahl's law: share of the time accelerated, its speed-up "
           "factor, and the whole job's speed-up", "1", "fraction, factor, amdahl_speedup", "chapters/four-scaling-laws"),
    Symbol(r"p_i, s_i, S_\text{co-design}", "co-design: share of the time of component i, its speed-up factor, and "
           "the whole job's speed-up", "1", "fraction, factor, amdahl_speedup", "chapters/four-scaling-laws"),
    Symbol(r"P_\text{el}", "electrical power drawn (one accelerator's TDP)", "W", "tdp_W", "chapters/power-and-co-design"),
    Symbol(r"\text{PUE}", "power usage effectiveness: facility power ÷ IT power", "1", "pue",
           "chapters/power-and-co-design"),
    Symbol(r"\eta_\text{tok}", "tokens per joule", "tokens/J", "tokens_per_joule", "chapters/power-and-co-design"),
    Symbol(r"\tau", "decode tokens per second per accelerator at an operating point", "tokens/s",
           "tokens_per_s_per_chip", "chapters/power-and-co-design"),
    Symbol(r"\bar\epsilon_\text{dec}", "decode realism factor: measured ÷ ideal throughput (1 until the "
           "reality-check chapter calibrates it)", "1", "decode_realism_factor", "chapters/power-and-co-design"),
    Symbol(r"\tau_\text{real}", r"realistic decode tokens per second per accelerator, $\bar\epsilon_\text{dec}\,\tau$",
           "tokens/s", "realism × tokens_per_s_per_chip", "chapters/power-and-co-design"),
    Symbol(r"c_\text{tok}", "cost of one token: its electricity and its share of an accelerator-hour", "USD",
           "energy_cost_per_token_usd + accelerator_cost_per_token_usd", "chapters/power-and-co-design"),
    Symbol(r"p_\text{kWh}, p_\text{h}", "electricity price, and the rental price of an accelerator-hour",
           "USD/kWh, USD/h", "electricity_price, usd_per_hour", "chapters/power-and-co-design"),
    Symbol(r"Y, P_\text{purchase}, P_W", "an owned accelerator's life, its purchase price, and its power at the wall "
           "(its share of the server included)", "years, USD, W", "lifetime_years, purchase_price_usd, power_W",
           "chapters/power-and-co-design"),
    Symbol(r"c_\text{capex}, c_\text{elec}", "an owner's cost per hour: the purchase spread over the life, and the "
           "electricity", "USD/h", "owner_capex_per_hour_usd, owner_energy_per_hour_usd", "chapters/power-and-co-design"),
    Symbol(r"\text{share}_\text{owner}, \text{share}_\text{renter}", "electricity's share of an owner's hour and of "
           "a rented hour", "1", "owner_electricity_share, renter_electricity_share", "chapters/power-and-co-design"),
    Symbol(r"\Phi(\xi), \xi", r"load-duration curve: a grid's load ÷ peak against the share $\xi$ of the year it is "
           "exceeded", "1, 1", "load_duration_curve", "chapters/power-and-co-design"),
    Symbol(r"E_\text{sales}, P_\text{peak}", "a year's retail electricity sales, and the coincident peak demand",
           "Wh, W", "annual_sales_Wh, peak_W", "chapters/power-and-co-design"),
    Symbol(r"f_\text{loss}", "transmission and distribution losses, a share of the energy generated", "1",
           "loss_fraction", "chapters/power-and-co-design"),
    Symbol(r"\theta, s_\theta", "a load threshold (÷ peak), and the least share of the year's hours above it", "1, 1",
           "threshold, min_share_of_hours_above", "chapters/power-and-co-design"),
    Symbol(r"f_\text{flex}, E_\text{flex}", "a flexible load (÷ peak) that sheds at the grid's peaks, and the energy "
           "it draws in a year", "1, Wh", "flex_load, flexible_energy_fraction", "chapters/power-and-co-design"),
    Symbol(r"T_\text{rad}, \varepsilon_\text{rad}, n_s", "a radiator's temperature, emissivity and radiating sides",
           "K, 1, count", "temperature_K, emissivity, sides", "chapters/power-and-co-design"),
    Symbol(r"\sigma", "the Stefan–Boltzmann constant", "W/(m²·K⁴)", "STEFAN_BOLTZMANN_W_PER_M2_K4", "chapters/power-and-co-design"),
    Symbol(r"I_\text{sun}, \eta_\text{cell}, f_\text{pack}", "sunlight's irradiance, a solar cell's efficiency, and "
           "the array's packing factor", "W/m², 1, 1", "irradiance_W_per_m2, efficiency, packing",
           "chapters/power-and-co-design"),
    Symbol(r"A_\text{rad}, A_\text{solar}", "radiator area to reject, and solar-array area to make, a given power",
           "m²", "radiator_area_m2_per_W, solar_area_m2_per_W", "chapters/power-and-co-design"),
)


def scopes() -> list[str]:
    """``"book"`` first, then each chapter with local symbols, in the order they appear."""
    return list(dict.fromkeys(["book"] + [s.scope for s in SYMBOLS]))


def as_rows(scope: str = "book") -> list[dict[str, str]]:
    """One scope's symbols as rows for display: symbol (as inline math), meaning, unit, code name."""
    return [{"symbol": f"${s.symbol}$", "meaning": s.meaning, "unit": s.unit, "in code": f"`{s.code}`"}
            for s in SYMBOLS if s.scope == scope]


def markdown_table(scope: str = "book") -> str:
    """One scope's symbols as a Markdown table (rendered by MyST, so the math is typeset)."""
    lines = ["| symbol | meaning | unit | in code |", "|---|---|---|---|"]
    lines += [f"| {r['symbol']} | {r['meaning']} | {r['unit']} | {r['in code']} |" for r in as_rows(scope)]
    return "\n".join(lines)


def base_symbols(symbol: str) -> set[str]:
    """The symbols one table entry defines, normalised for comparison: a list ("W_up, W_out") split at its
    top-level commas (those inside "b_{kv,\\ell}" and "t(x, g)" belong to a subscript or an argument list), a
    function's argument dropped ("K(L)" is K), spaces removed."""
    import re

    parts, depth, start = [], 0, 0
    for i, ch in enumerate(symbol):
        depth += {"{": 1, "(": 1, "}": -1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(symbol[start:i])
            start = i + 1
    parts.append(symbol[start:])
    if symbol.startswith(r"\text"):
        parts = [symbol]
    return {re.sub(r"\s+", "", re.sub(r"\((?:[^()]*)\)$", "", p.strip())) for p in parts if p.strip()}


# ---- the symbols a page's mathematics uses -------------------------------------------------------------------

_GREEK = ("alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|iota|kappa|lambda|mu|nu|xi|pi|rho|sigma|tau|"
          "upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Pi|Sigma|Phi|Psi|Omega|ell")
_SUBSCRIPT = r"(?:_(?:\\text\{[^{}]*\}|\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[A-Za-z0-9]))?"
_MATH_TOKEN = (r"(?:\\bar\s*)?(?:\\(?:" + _GREEK + r")(?![A-Za-z])|(?<![\\A-Za-z])[A-Za-z](?![A-Za-z]))"
               + _SUBSCRIPT + r"(?:\^\*)?")

#: Letters in a page's mathematics that are not quantities, so no table entry defines them: big-O ("O(n^2)"),
#: Euler's number e and π, and the running indices of a sum or a list (i, j). Keep it short: a letter a
#: chapter uses as a quantity belongs in the table.
NOT_SYMBOLS = frozenset({"O", "e", r"\pi", "i", "j"})


def math_spans(markdown: str) -> list[str]:
    """The mathematics of a MyST page: ``$$…$$`` and ``$…$``, the ``{math}`` role and ``{math}`` directives
    (backtick or colon fences); code cells, other fences and inline code are skipped."""
    import re

    spans = re.findall(r"\{math\}`([^`]*)`", markdown)
    markdown = re.sub(r"\{math\}`[^`]*`", " ", markdown)
    fence = r"^(?P<f>`{3,}|:{3,})\{math\}[^\n]*\n(?P<body>.*?)^(?P=f)[ \t]*$"
    for m in re.finditer(fence, markdown, flags=re.S | re.M):
        spans.append(re.sub(r"^:[\w-]+:.*$", " ", m.group("body"), flags=re.M))  # options (:label:)
    markdown = re.sub(fence, " ", markdown, flags=re.S | re.M)
    markdown = re.sub(r"^(`{3,}).*?^\1", " ", markdown, flags=re.S | re.M)  # code cells and fences
    markdown = re.sub(r"`[^`\n]*`", " ", markdown)  # inline code, roles' targets
    spans += re.findall(r"\$\$(.*?)\$\$", markdown, re.S)
    spans += re.findall(r"(?<![\\$])\$([^$\n]+?)\$", re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.S))
    return spans


def math_symbols(markdown: str) -> set[str]:
    """The symbols a MyST page's mathematics uses (:func:`math_spans`), normalised as :func:`base_symbols`
    does: a letter (Latin or Greek, perhaps barred) with its subscript and a star; words and units in ``\\text``,
    ``\\mathrm`` and ``\\operatorname``, command names (``\\frac``, ``\\max``), underbrace labels and
    differentials (the d of dx) are not symbols, nor are the few letters of :data:`NOT_SYMBOLS`. A function's
    argument is a symbol of its own (Φ(ξ) uses Φ and ξ)."""
    import re

    found: set[str] = set()
    for math in math_spans(markdown):
        m = re.sub(r"\}_\\text\{[^{}]*\}", "}", math)  # an underbrace's label
        m = re.sub(r"(?<![_A-Za-z}])(?<!_\{)\\(?:text|mathrm|operatorname)\{[^{}]*\}", " ", m)  # words and units
        m = re.sub(r"(?<![A-Za-z\\])d(?=\\[A-Za-z]+|[A-Za-z](?![A-Za-z]))", " ", m)  # differentials
        found |= {re.sub(r"\s+", "", t) for t in re.findall(_MATH_TOKEN, m)}
    return found - NOT_SYMBOLS


def symbols_outside(markdown: str, scope: str) -> dict[str, str]:
    """The symbols of a page (``scope``: its docname) that the table does not give it: each mapped to "missing"
    (no entry defines it) or to the other chapter whose local symbol it is."""
    owner = {b: s.scope for s in SYMBOLS for b in base_symbols(s.symbol)}
    out = {}
    for sym in math_symbols(markdown):
        where = owner.get(sym)
        if where is None:
            out[sym] = "missing"
        elif where not in ("book", scope):
            out[sym] = where
    return out


def conflicts() -> list[str]:
    """Symbols that break "one meaning per symbol": a symbol defined by two entries of the table, whatever their
    scopes (book-wide or any chapter's)."""
    owners: dict[str, list[str]] = {}
    for s in SYMBOLS:
        for sym in base_symbols(s.symbol):
            owners.setdefault(sym, []).append(f"{s.scope}: {s.meaning}")
    return sorted(f"{sym!r} has {len(uses)} meanings: " + " | ".join(uses)
                  for sym, uses in owners.items() if len(uses) > 1)
