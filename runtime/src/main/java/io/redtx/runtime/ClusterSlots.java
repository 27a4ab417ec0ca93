package io.redtx.runtime;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Redis Cluster's hash slots: the slot of a key, and a short hash tag for every slot. */
final class ClusterSlots {

    static final int SLOTS = 16384;

    private ClusterSlots() {}

    /**
     * The slot Redis computes: CRC16 (XMODEM) of the hash tag (the text between the first '{' and the next '}', when
     * not empty) or of the whole key, modulo 16384.
     */
    static int slot(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        int start = 0;
        int end = bytes.length;
        int open = indexOf(bytes, (byte) '{', 0);
        if (open >= 0) {
            int close = indexOf(bytes, (byte) '}', open + 1);
            if (close > open + 1) {
                start = open + 1;
                end = close;
            }
        }
        return crc16(bytes, start, end) % SLOTS;
    }

    /** @return a short tag whose slot is {@code slot}: {@code "{" + tag(s) + "}..."} lands in slot {@code s} */
    static String tag(int slot) {
        return Integer.toString(Tags.TABLE[slot], Character.MAX_RADIX);
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static int crc16(byte[] bytes, int start, int end) {
        int crc = 0;
        for (int i = start; i < end; i++) {
            crc ^= (bytes[i] & 0xff) << 8;
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
                int s = crc16(text, 0, text.length) % SLOTS;
                if (table[s] < 0) {
                    table[s] = n;
                    missing--;
                }
            }
            return table;
        }
    }
}
