package io.redtx.runtime.internal.redis;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Redis Cluster's hash slots: the slot of a key, and a short hash tag for every slot. */
public final class ClusterSlots {

    public static final int SLOTS = 16384;

    private ClusterSlots() {}

    /** The slot Redis computes: CRC16 (XMODEM) of {@link #hashed(String)}, modulo 16384. */
    public static int slot(String key) {
        return crc16(hashed(key).getBytes(StandardCharsets.UTF_8)) % SLOTS;
    }

    /**
     * The part of a key Redis hashes: its hash tag (the text between the first '{' and the next '}', when not empty),
     * or the whole key. '{' and '}' are ASCII, so they split the text where they split its UTF-8 bytes.
     */
    static String hashed(String key) {
        int open = key.indexOf('{');
        int close = open < 0 ? -1 : key.indexOf('}', open + 1);
        return close > open + 1 ? key.substring(open + 1, close) : key;
    }

    /** @return a short tag whose slot is {@code slot}: {@code "{" + tag(s) + "}..."} lands in slot {@code s} */
    public static String tag(int slot) {
        return Integer.toString(Tags.TABLE[slot], Character.MAX_RADIX);
    }

    private static int crc16(byte[] bytes) {
        int crc = 0;
        for (byte b : bytes) {
            crc ^= (b & 0xff) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return crc & 0xffff;
    }

    /** Per slot, the smallest number whose base-36 text hashes to it; built on first use (about 170,000 CRCs). */
    private static final class Tags {
        static final int[] TABLE = build();

        private static int[] build() {
            int[] table = new int[SLOTS];
            Arrays.fill(table, -1);
            int missing = SLOTS;
            for (int n = 0; missing > 0; n++) {
                byte[] text = Integer.toString(n, Character.MAX_RADIX).getBytes(StandardCharsets.US_ASCII);
                int s = crc16(text) % SLOTS;
                if (table[s] < 0) {
                    table[s] = n;
                    missing--;
                }
            }
            return table;
        }
    }
}
