// Block layouts of ggml's quantized types, read from a byte buffer `wb` that the including
// shader declares. Type ids are ggml's; offsets are in bytes.
#define T_F32 0
#define T_F16 1
#define T_Q4_0 2
#define T_Q4_1 3
#define T_Q5_0 6
#define T_Q5_1 7
#define T_Q8_0 8
#define T_Q4_K 12
#define T_Q5_K 13
#define T_Q6_K 14
#define T_BF16 30

uint rd_u8(uint o) { return uint(wb[o]); }
// Two bytes at an even offset in one load (the including shader aliases `wh` onto `wb`).
uint rd_pair(uint o) { return uint(wh[o >> 1]); }
// 8 consecutive bytes at an even offset, as two little-endian words, from aligned 32-bit loads
// (the including shader aliases `wu` onto `wb`): two loads, or three where the offset is only
// 2-aligned. The third word is read only when needed, so no load passes the end of the buffer.
uvec2 rd_words8(uint o) {
    const uint w = o >> 2;
    const uint a = wu[w], b = wu[w + 1];
    if ((o & 2u) == 0u) return uvec2(a, b);
    const uint c = wu[w + 2];
    return uvec2((a >> 16) | (b << 16), (b >> 16) | (c << 16));
}
// Byte i (0..7) of such a pair of words.
uint byte_of(uvec2 w, uint i) { return ((i < 4u ? w.x : w.y) >> (8u * (i & 3u))) & 255u; }
void rd_bytes8(uint o, out uint q[8]) {
    const uvec2 w = rd_words8(o);
    for (uint i = 0; i < 8; i++) q[i] = byte_of(w, i);
}
uint rd_u16(uint o) { return (o & 1u) == 0u ? rd_pair(o) : uint(wb[o]) | (uint(wb[o + 1]) << 8); }
uint rd_u32(uint o) { return rd_u16(o) | (rd_u16(o + 2) << 16); }
int rd_i8(uint o) { return int(int8_t(wb[o])); }
float rd_f16(uint o) { return unpackHalf2x16(rd_u16(o)).x; }
float rd_f32(uint o) { return uintBitsToFloat(rd_u32(o)); }

uint block_elems(uint t) {
    if (t == T_F32 || t == T_F16 || t == T_BF16) return 1;
    if (t == T_Q4_K || t == T_Q5_K || t == T_Q6_K) return 256;
    return 32;
}

uint block_bytes(uint t) {
    switch (t) {
    case T_F32: return 4;
    case T_F16: return 2;
    case T_BF16: return 2;
    case T_Q4_0: return 18;
    case T_Q4_1: return 20;
    case T_Q5_0: return 22;
    case T_Q5_1: return 24;
    case T_Q8_0: return 34;
    case T_Q4_K: return 144;
    case T_Q5_K: return 176;
    case T_Q6_K: return 210;
    }
    return 0;
}

// 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block whose scales start at o.
void k_scale_min(uint o, uint j, out float sc, out float m) {
    if (j < 4) {
        sc = float(rd_u8(o + j) & 63u);
        m = float(rd_u8(o + j + 4) & 63u);
    } else {
        sc = float((rd_u8(o + j + 4) & 15u) | ((rd_u8(o + j - 4) >> 6) << 4));
        m = float((rd_u8(o + j + 4) >> 4) | ((rd_u8(o + j) >> 6) << 4));
    }
}

// Dequantize 8 consecutive elements j0..j0+7 (j0 a multiple of 8) of the block at byte offset b.
// Every kernel decodes weights through this one function, so they agree bit for bit.
void dequant8(uint t, uint b, uint j0, out float v[8]) {
    switch (t) {
    case T_F32: for (uint i = 0; i < 8; i++) v[i] = rd_f32(b + 4 * i); return;
    case T_F16: for (uint i = 0; i < 8; i++) v[i] = rd_f16(b + 2 * i); return;
    case T_BF16: for (uint i = 0; i < 8; i++) v[i] = uintBitsToFloat(rd_u16(b + 2 * i) << 16); return;
    case T_Q4_0: {
        const float d = rd_f16(b);
        uint q[8];
        rd_bytes8(b + 2 + (j0 & 15u), q);
        const uint sh = j0 < 16 ? 0u : 4u;
        for (uint i = 0; i < 8; i++) v[i] = (float((q[i] >> sh) & 15u) - 8.0) * d;
        return;
    }
    case T_Q4_1: {
        const float d = rd_f16(b), m = rd_f16(b + 2);
        uint q[8];
        rd_bytes8(b + 4 + (j0 & 15u), q);
        const uint sh = j0 < 16 ? 0u : 4u;
        for (uint i = 0; i < 8; i++) v[i] = float((q[i] >> sh) & 15u) * d + m;
        return;
    }
    case T_Q5_0: {
        const float d = rd_f16(b);
        const uint qh = rd_pair(b + 2) | (rd_pair(b + 4) << 16);
        uint q[8];
        rd_bytes8(b + 6 + (j0 & 15u), q);
        const uint sh = j0 < 16 ? 0u : 4u;
        for (uint i = 0; i < 8; i++) v[i] = (float(((q[i] >> sh) & 15u) | (((qh >> (j0 + i)) & 1u) << 4)) - 16.0) * d;
        return;
    }
    case T_Q5_1: {
        const float d = rd_f16(b), m = rd_f16(b + 2);
        const uint qh = rd_pair(b + 4) | (rd_pair(b + 6) << 16);
        uint q[8];
        rd_bytes8(b + 8 + (j0 & 15u), q);
        const uint sh = j0 < 16 ? 0u : 4u;
        for (uint i = 0; i < 8; i++) v[i] = float(((q[i] >> sh) & 15u) | (((qh >> (j0 + i)) & 1u) << 4)) * d + m;
        return;
    }
    case T_Q8_0: {
        const float d = rd_f16(b);
        uint q[8];
        rd_bytes8(b + 2 + j0, q);
        for (uint i = 0; i < 8; i++) v[i] = float(int(q[i] << 24) >> 24) * d;
        return;
    }
    case T_Q4_K:
    case T_Q5_K: {
        // j0..j0+7 share one sub-block: chunk c of 64, low or high nibbles
        const uint c = j0 / 64, w = j0 % 64, hi = w / 32, l0 = w % 32;
        float sc, mn;
        k_scale_min(b + 4, 2 * c + hi, sc, mn);
        const float dd = rd_f16(b) * sc, mm = rd_f16(b + 2) * mn;
        const uint qs = t == T_Q4_K ? b + 16 : b + 48;
        uint q[8], h[8];
        rd_bytes8(qs + 32 * c + l0, q);
        if (t == T_Q5_K) rd_bytes8(b + 16 + l0, h);
        for (uint i = 0; i < 8; i++) {
            uint x = hi == 0 ? q[i] & 15u : q[i] >> 4;
            if (t == T_Q5_K) x += ((h[i] >> (2 * c + hi)) & 1u) << 4;
            v[i] = dd * float(x) - mm;
        }
        return;
    }
    case T_Q6_K: {
        const uint half_ = j0 / 128, r = j0 % 128, quarter = r / 32, l0 = r % 32;
        const uint ql = b + 64 * half_ + (quarter & 1u) * 32, qh = b + 128 + 32 * half_;
        const float d = rd_f16(b + 208);
        const float sc = float(rd_i8(b + 192 + 8 * half_ + l0 / 16 + 2 * quarter));
        uint lo[8], hb[8];
        rd_bytes8(ql + l0, lo);
        rd_bytes8(qh + l0, hb);
        for (uint i = 0; i < 8; i++) {
            const uint low = quarter < 2 ? lo[i] & 15u : lo[i] >> 4;
            const int q = int(low | (((hb[i] >> (2 * quarter)) & 3u) << 4)) - 32;
            v[i] = d * sc * float(q);
        }
        return;
    }
    }
    for (uint i = 0; i < 8; i++) v[i] = 0.0;
}
