//! Signed shortcuts: Apple Encrypted Archive, profile 0 (signed, not encrypted).
//!
//! Layout (all integers little-endian), offsets from the start of the file:
//! `AEA1`, 3-byte profile, 1-byte scrypt strength, u32 auth-data size `A`, the auth-data
//! plist, then 128-byte signature, 32-byte random key, 32-byte salt, 32-byte root-header
//! MAC, the 48-byte root header, a 32-byte first-cluster MAC, and the clusters.
//!
//! Integrity is verified: every segment's checksum is compared with the decoded segment,
//! SHA-256 for checksum kind 2 (the kind every signed shortcut uses) and 64-bit
//! MurmurHash2 for kind 1 (see [`murmur64a`]), so a damaged file is an error naming the
//! segment, never a garbled program. The signature and the HMACs (root header, cluster
//! headers, segments) are not verified: wfc reads what a shortcut does, it does not vouch
//! for who made it. Every size in the file is treated as a claim and checked against the
//! bytes that remain and against [`Limits`] before it is used.

use super::apple_archive;
use crate::limits::Limits;
use sha2::Digest as _;
use std::io::Read;
use thiserror::Error;

/// Why a signed file could not be read. Offsets are from the start of the file.
#[derive(Debug, Error)]
pub enum AeaError {
    #[error("not an AEA1 file: leading bytes {0:02x?}")]
    BadMagic(Vec<u8>),
    #[error("truncated {what} at offset {offset}: needs {need} bytes, {have} remain")]
    Truncated {
        what: &'static str,
        offset: usize,
        need: u64,
        have: usize,
    },
    #[error("encrypted archive (AEA profile {profile}); only profile 0 (signed, unencrypted) can be read")]
    Encrypted { profile: u32 },
    #[error("auth data at offset {offset} is not a valid plist: {message}")]
    AuthData { offset: usize, message: String },
    #[error("unsupported compression {} (only LZFSE 'e' and none '-' are supported)", describe_byte(*.0))]
    UnsupportedCompression(u8),
    #[error("unsupported checksum kind {kind} in root header at offset {offset}")]
    UnsupportedChecksum { kind: u8, offset: usize },
    #[error("invalid root header at offset {offset}: {message}")]
    BadRootHeader { offset: usize, message: String },
    #[error("payload claims {claimed} bytes, over the limit of {limit} (offset {offset})")]
    TooLarge {
        claimed: u64,
        limit: u64,
        offset: usize,
    },
    #[error(
        "segment {segment} (cluster {cluster}, header at offset {offset}) fails its {} \
         checksum: the file is damaged", checksum_name(*.kind)
    )]
    ChecksumMismatch {
        segment: u64,
        cluster: u64,
        offset: usize,
        /// The root header's checksum kind (1 murmur, 2 SHA-256).
        kind: u8,
    },
    #[error("invalid segment at offset {offset}: {message}")]
    BadSegment { offset: usize, message: String },
    #[error("LZFSE segment at offset {offset}: {message}")]
    Lzfse { offset: usize, message: String },
    #[error("the archive holds no Shortcut.wflow entry")]
    NoWorkflow,
    #[error("Apple Archive payload: {0}")]
    Archive(String),
}

fn checksum_name(kind: u8) -> &'static str {
    if kind == 1 {
        "MurmurHash64A"
    } else {
        "SHA-256"
    }
}

/// Seed of the murmur checksum (kind 1), as libAppleArchive's `aeaChecksum` uses it.
const MURMUR_SEED: u64 = 0xE223_6FDC_26A5_F6D2;

/// MurmurHash64A (Austin Appleby's 64-bit MurmurHash2 for 64-bit platforms) of `data`:
/// the checksum kind 1 of AEA segments, with [`MURMUR_SEED`], stored little-endian.
/// Words are read little-endian, as on every platform that writes these files.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut k = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        // The last 1..7 bytes, as a little-endian word padded with zeros.
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        h ^= u64::from_le_bytes(last);
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// The checksum a segment header carries for `decoded` (empty for kind 0).
pub fn segment_checksum(kind: u8, decoded: &[u8]) -> Vec<u8> {
    match kind {
        1 => murmur64a(decoded, MURMUR_SEED).to_le_bytes().to_vec(),
        2 => sha2::Sha256::digest(decoded).to_vec(),
        _ => Vec::new(),
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}' (0x{b:02x})", char::from(b))
    } else {
        format!("0x{b:02x}")
    }
}

/// The plain-text root header that describes the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootHeader {
    /// Size of the decompressed payload (the Apple Archive).
    pub raw_size: u64,
    /// Size of the whole container as written.
    pub container_size: u64,
    /// Largest decompressed size of one segment.
    pub segment_size: u32,
    pub segments_per_cluster: u32,
    /// `e` = LZFSE, `-` = none.
    pub compression: u8,
    /// 0 none, 1 murmur (8 bytes), 2 SHA-256 (32 bytes).
    pub checksum_kind: u8,
}

/// What a signed file holds.
#[derive(Debug, Clone)]
pub struct AeaFile {
    /// The auth-data plist (certificate chain and signer details).
    pub auth_data: plist::Value,
    /// The `Shortcut.wflow` binary plist.
    pub wflow: Vec<u8>,
    /// Scrypt strength byte (meaningless for profile 0, kept for reporting).
    pub scrypt_strength: u8,
    pub root_header: RootHeader,
}

impl AeaFile {
    /// Key/value facts for the workflow's provenance.
    pub fn metadata(&self) -> Vec<(String, String)> {
        let dict = self.auth_data.as_dictionary();
        let get = |k: &str| dict.and_then(|d| d.get(k));
        // Contact-signed files carry an Apple ID chain; iCloud-signed ones Apple's own chain.
        let (signer, chain) = if let Some(c) = get("AppleIDCertificateChain") {
            ("contact", Some(c))
        } else if let Some(c) = get("SigningCertificateChain") {
            ("icloud", Some(c))
        } else {
            ("unknown", None)
        };
        let certificates = chain.and_then(|c| c.as_array()).map_or(0, |a| a.len());
        vec![
            ("signer".to_string(), signer.to_string()),
            ("certificates".to_string(), certificates.to_string()),
        ]
    }
}

/// Bytes of the fields between the auth data and the root header: signature, random
/// key, salt, root-header MAC.
const PRE_ROOT_LEN: usize = 128 + 32 + 32 + 32;
const ROOT_HEADER_LEN: usize = 48;
const MAC_LEN: usize = 32;

/// A bounds-checked cursor over the file; every read names what it was reading.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], AeaError> {
        let have = self.remaining();
        let truncated = AeaError::Truncated {
            what,
            offset: self.pos,
            need: n,
            have,
        };
        let n = usize::try_from(n).map_err(|_| truncated)?;
        if n > have {
            return Err(AeaError::Truncated {
                what,
                offset: self.pos,
                need: n as u64,
                have,
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, AeaError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, AeaError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

pub fn read(bytes: &[u8], limits: &Limits) -> Result<AeaFile, AeaError> {
    let mut cur = Cursor { bytes, pos: 0 };
    let magic = cur.take(4, "magic")?;
    if magic != b"AEA1" {
        return Err(AeaError::BadMagic(magic.to_vec()));
    }
    let p = cur.take(3, "profile id")?;
    let profile = u32::from_le_bytes([p[0], p[1], p[2], 0]);
    if profile != 0 {
        return Err(AeaError::Encrypted { profile });
    }
    let scrypt_strength = cur.take(1, "scrypt strength")?[0];
    let auth_size = cur.u32("auth-data size")?;
    let auth_offset = cur.pos;
    let auth_bytes = cur.take(u64::from(auth_size), "auth data")?;
    let auth_data = parse_auth_data(auth_bytes, auth_offset, limits)?;

    cur.take(
        PRE_ROOT_LEN as u64,
        "signature, key, salt and root-header MAC",
    )?;
    let root_offset = cur.pos;
    let rh = cur.take(ROOT_HEADER_LEN as u64, "root header")?;
    let mut rc = Cursor { bytes: rh, pos: 0 };
    let root_header = RootHeader {
        raw_size: rc.u64("raw size")?,
        container_size: rc.u64("container size")?,
        segment_size: rc.u32("segment size")?,
        segments_per_cluster: rc.u32("segments per cluster")?,
        compression: rc.take(1, "compression")?[0],
        checksum_kind: rc.take(1, "checksum kind")?[0],
    };
    cur.take(MAC_LEN as u64, "first cluster MAC")?;

    let payload = decode_clusters(&mut cur, &root_header, root_offset, limits)?;
    let wflow = apple_archive::find_file(&payload, "Shortcut.wflow")
        .map_err(|e| AeaError::Archive(e.to_string()))?
        .ok_or(AeaError::NoWorkflow)?
        .to_vec();
    Ok(AeaFile {
        auth_data,
        wflow,
        scrypt_strength,
        root_header,
    })
}

fn parse_auth_data(bytes: &[u8], offset: usize, limits: &Limits) -> Result<plist::Value, AeaError> {
    if bytes.is_empty() {
        // Nothing to describe the signer; still a readable payload.
        return Ok(plist::Value::Dictionary(plist::Dictionary::new()));
    }
    // The same guards as the workflow plist: bounded depth and expansion before building.
    let arena = bumpalo::Bump::new();
    super::parse_tree(bytes, &arena, limits)
        .map(|v| v.to_plist())
        .map_err(|e| AeaError::AuthData {
            offset,
            message: match e {
                super::ReadError::Xml(m) | super::ReadError::Binary(m) => m,
                other => other.to_string(),
            },
        })
}

/// Size of a segment's checksum for a checksum kind.
fn checksum_len(kind: u8, offset: usize) -> Result<u64, AeaError> {
    match kind {
        0 => Ok(0),
        1 => Ok(8),
        2 => Ok(32),
        _ => Err(AeaError::UnsupportedChecksum { kind, offset }),
    }
}

/// Walks the clusters after the root header and returns the decompressed payload.
fn decode_clusters(
    cur: &mut Cursor<'_>,
    rh: &RootHeader,
    root_offset: usize,
    limits: &Limits,
) -> Result<Vec<u8>, AeaError> {
    // Compression and checksum kind live at bytes 24 and 25 of the root header.
    let compressed = match rh.compression {
        b'e' => true,
        b'-' => false,
        other => return Err(AeaError::UnsupportedCompression(other)),
    };
    let sum_len = checksum_len(rh.checksum_kind, root_offset + 25)?;
    if rh.segment_size == 0 {
        return Err(AeaError::BadRootHeader {
            offset: root_offset + 16,
            message: "segment size is 0".into(),
        });
    }
    if rh.segments_per_cluster == 0 {
        return Err(AeaError::BadRootHeader {
            offset: root_offset + 20,
            message: "0 segments per cluster".into(),
        });
    }
    // The payload may be no larger than the absolute cap, nor expand the input by more
    // than the ratio cap; refuse before decoding anything.
    let ratio_cap = (limits.max_expansion_ratio as u64).saturating_mul(cur.bytes.len() as u64);
    let limit = (limits.max_decompressed_bytes as u64).min(ratio_cap);
    if rh.raw_size > limit {
        return Err(AeaError::TooLarge {
            claimed: rh.raw_size,
            limit,
            offset: root_offset,
        });
    }
    let raw_size = rh.raw_size as usize; // fits: bounded by a usize limit above
    let spc = u64::from(rh.segments_per_cluster);
    let seg_header_len = 8 + sum_len;

    // Grows with what is actually decoded, never with what the header claims.
    let mut out: Vec<u8> = Vec::new();
    let (mut cluster, mut segment) = (0u64, 0u64);
    while out.len() < raw_size {
        let cluster_offset = cur.pos;
        // Headers, next-cluster MAC and per-segment MACs must all be present before the
        // header table is trusted; this also bounds the loop below by the file length.
        let table_len = spc
            .checked_mul(seg_header_len)
            .and_then(|h| {
                spc.checked_mul(MAC_LEN as u64)
                    .and_then(|m| h.checked_add(m))
            })
            .and_then(|t| t.checked_add(MAC_LEN as u64))
            .ok_or(AeaError::Truncated {
                what: "cluster header",
                offset: cluster_offset,
                need: u64::MAX,
                have: cur.remaining(),
            })?;
        let table = cur.take(table_len, "cluster header")?;
        let mut headers = Cursor {
            bytes: table,
            pos: 0,
        };
        let mut progressed = false;
        for i in 0..spc {
            if out.len() >= raw_size {
                break;
            }
            let hdr_offset = cluster_offset + headers.pos;
            let seg_raw = headers.u32("segment raw size")?;
            let seg_stored = headers.u32("segment stored size")?;
            let checksum = headers.take(sum_len, "segment checksum")?;
            let left = raw_size - out.len();
            if seg_raw > rh.segment_size {
                return Err(AeaError::BadSegment {
                    offset: hdr_offset,
                    message: format!(
                        "segment {i} claims {seg_raw} raw bytes, over the segment size {}",
                        rh.segment_size
                    ),
                });
            }
            if seg_raw as usize > left {
                return Err(AeaError::BadSegment {
                    offset: hdr_offset,
                    message: format!(
                        "segment {i} claims {seg_raw} raw bytes, only {left} remain of the payload"
                    ),
                });
            }
            let data_offset = cur.pos;
            let data = cur.take(u64::from(seg_stored), "segment data")?;
            let seg_start = out.len();
            if seg_stored == seg_raw {
                out.extend_from_slice(data);
            } else if !compressed {
                return Err(AeaError::BadSegment {
                    offset: hdr_offset,
                    message: format!(
                        "stored size {seg_stored} differs from raw size {seg_raw} but compression is none"
                    ),
                });
            } else {
                decode_lzfse(data, seg_raw, data_offset, &mut out)?;
            }
            // The checksum is of the segment's decoded bytes.
            if rh.checksum_kind != 0
                && segment_checksum(rh.checksum_kind, &out[seg_start..]) != checksum
            {
                return Err(AeaError::ChecksumMismatch {
                    segment,
                    cluster,
                    offset: hdr_offset,
                    kind: rh.checksum_kind,
                });
            }
            segment += 1;
            progressed |= seg_raw > 0;
        }
        cluster += 1;
        if !progressed {
            return Err(AeaError::BadSegment {
                offset: cluster_offset,
                message: "cluster holds no data before the payload is complete".into(),
            });
        }
    }
    Ok(out)
}

/// Decodes one LZFSE segment onto `out`, producing exactly `raw` bytes. The streaming
/// reader is used so that no more than `raw + 1` bytes are ever produced, whatever the
/// block headers inside the stream claim.
fn decode_lzfse(data: &[u8], raw: u32, offset: usize, out: &mut Vec<u8>) -> Result<(), AeaError> {
    thread_local! {
        // A decoder owns large ring buffers that cost more to allocate and zero than a
        // typical segment costs to decode; each thread keeps one.
        static DECODER: std::cell::RefCell<lzfse_rust::LzfseRingDecoder> =
            std::cell::RefCell::new(lzfse_rust::LzfseRingDecoder::default());
    }
    let start = out.len();
    // Room for all of it up front (`raw` is bounded by the payload limit): reading into
    // spare capacity saves `read_to_end` its small probing reads and regrowths.
    out.reserve(raw as usize + 1);
    DECODER
        .with_borrow_mut(|decoder| {
            decoder
                .reader_bytes(data)
                .take(u64::from(raw) + 1)
                .read_to_end(out)
        })
        .map_err(|e| AeaError::Lzfse {
            offset,
            message: e.to_string(),
        })?;
    let got = out.len() - start;
    if got != raw as usize {
        let message = if got > raw as usize {
            format!("decodes to more than the {raw} bytes the segment header claims")
        } else {
            format!("decodes to {got} bytes, the segment header claims {raw}")
        };
        return Err(AeaError::Lzfse { offset, message });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Apple Archive entry with a path and, optionally, a data blob. Carries a few
    /// other field kinds so that the parser must step over them.
    pub(crate) fn aa_entry(path: &str, data: Option<&[u8]>) -> Vec<u8> {
        let mut h = b"AA01\0\0".to_vec();
        h.extend_from_slice(b"TYP1F");
        h.extend_from_slice(b"PATP");
        h.extend_from_slice(&(path.len() as u16).to_le_bytes());
        h.extend_from_slice(path.as_bytes());
        h.extend_from_slice(b"MOD2\xa4\x01");
        h.extend_from_slice(b"MTMT");
        h.extend_from_slice(&[7u8; 12]);
        if let Some(d) = data {
            h.extend_from_slice(b"DATB");
            h.extend_from_slice(&(d.len() as u32).to_le_bytes());
        }
        let n = h.len() as u16;
        h[4..6].copy_from_slice(&n.to_le_bytes());
        if let Some(d) = data {
            h.extend_from_slice(d);
        }
        h
    }

    fn archive(wflow: &[u8]) -> Vec<u8> {
        let mut a = aa_entry("", None);
        a.extend(aa_entry("Shortcut.wflow", Some(wflow)));
        a
    }

    fn auth_plist() -> Vec<u8> {
        let mut d = plist::Dictionary::new();
        let certs = vec![plist::Value::Data(vec![1, 2]), plist::Value::Data(vec![3])];
        d.insert("AppleIDCertificateChain".into(), plist::Value::Array(certs));
        d.insert("SigningPublicKey".into(), plist::Value::Data(vec![4; 65]));
        let mut out = Vec::new();
        plist::Value::Dictionary(d)
            .to_writer_binary(&mut out)
            .unwrap();
        out
    }

    fn root(raw_size: u64, segment_size: u32, spc: u32, compression: u8, sum: u8) -> RootHeader {
        RootHeader {
            raw_size,
            container_size: 0,
            segment_size,
            segments_per_cluster: spc,
            compression,
            checksum_kind: sum,
        }
    }

    /// Everything up to and including the first-cluster MAC, then `body`.
    fn file(auth: &[u8], rh: &RootHeader, body: &[u8]) -> Vec<u8> {
        let mut f = b"AEA1\0\0\0\0".to_vec();
        f.extend_from_slice(&(auth.len() as u32).to_le_bytes());
        f.extend_from_slice(auth);
        f.extend_from_slice(&[0xAB; PRE_ROOT_LEN]);
        f.extend_from_slice(&rh.raw_size.to_le_bytes());
        f.extend_from_slice(&rh.container_size.to_le_bytes());
        f.extend_from_slice(&rh.segment_size.to_le_bytes());
        f.extend_from_slice(&rh.segments_per_cluster.to_le_bytes());
        f.push(rh.compression);
        f.push(rh.checksum_kind);
        f.extend_from_slice(&[0; ROOT_HEADER_LEN - 26]);
        f.extend_from_slice(&[0xCD; MAC_LEN]);
        f.extend_from_slice(body);
        f
    }

    /// One cluster: `spc` segment headers (unused ones zero), MACs, then segment data.
    fn cluster(rh: &RootHeader, segments: &[(u32, &[u8])]) -> Vec<u8> {
        let sum = checksum_len(rh.checksum_kind, 0).unwrap() as usize;
        let mut c = Vec::new();
        for i in 0..rh.segments_per_cluster as usize {
            let (raw, stored) = segments.get(i).map_or((0, 0), |s| (s.0, s.1.len() as u32));
            c.extend_from_slice(&raw.to_le_bytes());
            c.extend_from_slice(&stored.to_le_bytes());
            if let Some(&(raw, data)) = segments.get(i) {
                // The checksum of the decoded segment, as real files carry.
                let decoded = if raw as usize == data.len() {
                    data.to_vec()
                } else {
                    let mut o = Vec::new();
                    let _ = lzfse_rust::decode_bytes(data, &mut o);
                    o
                };
                c.extend(segment_checksum(rh.checksum_kind, &decoded));
            } else {
                c.extend(std::iter::repeat_n(0, sum));
            }
        }
        c.extend_from_slice(&[0x22; MAC_LEN]);
        c.extend(std::iter::repeat_n(
            0x33,
            MAC_LEN * rh.segments_per_cluster as usize,
        ));
        for s in segments {
            c.extend_from_slice(s.1);
        }
        c
    }

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn truncated_header() {
        let e = read(b"AEA1\0\0", &limits()).unwrap_err();
        assert!(
            matches!(
                e,
                AeaError::Truncated {
                    what: "profile id",
                    offset: 4,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn not_aea() {
        let e = read(b"bplist00", &limits()).unwrap_err();
        assert!(matches!(e, AeaError::BadMagic(_)), "{e:?}");
    }

    #[test]
    fn profile_1_is_encrypted() {
        let mut f = file(&[], &root(0, 1, 1, b'-', 0), &[]);
        f[4] = 1;
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::Encrypted { profile: 1 }), "{e:?}");
        assert!(e.to_string().contains("profile 1"));
    }

    #[test]
    fn auth_size_larger_than_file() {
        let mut f = b"AEA1\0\0\0\0".to_vec();
        f.extend_from_slice(&u32::MAX.to_le_bytes());
        f.extend_from_slice(&[0; 100]);
        let e = read(&f, &limits()).unwrap_err();
        assert!(
            matches!(
                e,
                AeaError::Truncated { what: "auth data", offset: 12, need, have: 100 }
                    if need == u64::from(u32::MAX)
            ),
            "{e:?}"
        );
    }

    #[test]
    fn bad_auth_plist() {
        let f = file(b"not a plist", &root(0, 1, 1, b'-', 0), &[]);
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::AuthData { offset: 12, .. }), "{e:?}");
    }

    #[test]
    fn raw_size_of_4_gb_is_refused() {
        let rh = root(4 << 30, 1 << 20, 1, b'e', 2);
        let f = file(&[], &rh, &cluster(&rh, &[(1 << 20, &[0; 16])]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(
            matches!(e, AeaError::TooLarge { claimed, .. } if claimed == 4 << 30),
            "{e:?}"
        );
    }

    #[test]
    fn expansion_ratio_is_enforced() {
        let rh = root(10_000, 1 << 20, 1, b'e', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(10_000, &[0; 16])]));
        let tight = Limits {
            max_expansion_ratio: 2,
            ..Limits::default()
        };
        let e = read(&f, &tight).unwrap_err();
        assert!(
            matches!(e, AeaError::TooLarge { limit, .. } if limit == 2 * f.len() as u64),
            "{e:?}"
        );
    }

    #[test]
    fn uncompressed_segment_happy_path() {
        let payload = archive(b"bplist00-ish");
        let rh = root(payload.len() as u64, 1 << 20, 4, b'-', 2);
        let body = cluster(&rh, &[(payload.len() as u32, &payload)]);
        let f = file(&auth_plist(), &rh, &body);
        let got = read(&f, &limits()).unwrap();
        assert_eq!(got.wflow, b"bplist00-ish");
        assert_eq!(got.root_header, rh);
        assert_eq!(
            got.metadata(),
            vec![
                ("signer".to_string(), "contact".to_string()),
                ("certificates".to_string(), "2".to_string()),
            ]
        );
    }

    #[test]
    fn several_clusters_and_checksum_kinds() {
        let payload = archive(&[0x5A; 300]);
        for sum in [0u8, 1, 2] {
            // Two segments per cluster of at most 64 bytes: several clusters.
            let rh = root(payload.len() as u64, 64, 2, b'e', sum);
            let chunks: Vec<&[u8]> = payload.chunks(64).collect();
            let mut body = Vec::new();
            for pair in chunks.chunks(2) {
                let segs: Vec<(u32, &[u8])> = pair.iter().map(|c| (c.len() as u32, *c)).collect();
                body.extend(cluster(&rh, &segs));
            }
            let got = read(&file(&[], &rh, &body), &limits()).unwrap();
            assert_eq!(got.wflow, vec![0x5A; 300], "checksum kind {sum}");
            assert_eq!(got.metadata()[0].1, "unknown");
        }
    }

    #[test]
    fn a_flipped_byte_fails_its_segment_checksum() {
        let payload = archive(&b"abcabcabc".repeat(500));
        let mut enc = Vec::new();
        lzfse_rust::encode_bytes(&payload, &mut enc).unwrap();
        // Three segments in two clusters: uncompressed, uncompressed, LZFSE.
        let rh = root(2 * 64 + payload.len() as u64, 1 << 20, 2, b'e', 2);
        let (a, b) = ([7u8; 64], [9u8; 64]);
        let mut body = cluster(&rh, &[(64, &a), (64, &b)]);
        body.extend(cluster(&rh, &[(payload.len() as u32, &enc)]));
        let f = file(&[], &rh, &body);
        // Intact, the checksums hold (the payload is not an archive: that is the error).
        assert!(matches!(read(&f, &limits()), Err(AeaError::Archive(_))));
        let second = f.len() - body.len() + 2 * (8 + 32) + 32 + 2 * 32 + 64;
        let third = f.len() - enc.len() + enc.len() / 2;
        for (at, seg, clu) in [(second, 1, 0), (third, 2, 1)] {
            let mut bad = f.clone();
            bad[at] ^= 0x01;
            match read(&bad, &limits()) {
                Err(AeaError::ChecksumMismatch {
                    segment, cluster, ..
                }) => assert_eq!((segment, cluster), (seg, clu)),
                // A flip inside an LZFSE stream may break the stream itself.
                Err(AeaError::Lzfse { .. }) if seg == 2 => {}
                other => panic!("flip at {at}: {other:?}"),
            }
        }
        let e = AeaError::ChecksumMismatch {
            segment: 1,
            cluster: 0,
            offset: 300,
            kind: 2,
        };
        assert_eq!(
            e.to_string(),
            "segment 1 (cluster 0, header at offset 300) fails its SHA-256 checksum: the file is damaged"
        );
    }

    /// SMHasher's verification of a 64-bit hash: hash the keys {}, {0}, {0,1}, ...
    /// {0..254} with seeds 256, 255, ... 1, then hash the 256 results (little-endian)
    /// with seed 0; the low 32 bits of that are the published value, 0x1F0D3804 for
    /// MurmurHash64A ("Murmur2B").
    #[test]
    fn murmur64a_matches_smhasher_verification() {
        let key: Vec<u8> = (0..=255u8).collect();
        let mut hashes = Vec::new();
        for i in 0..256usize {
            hashes.extend(murmur64a(&key[..i], 256 - i as u64).to_le_bytes());
        }
        assert_eq!(murmur64a(&hashes, 0) as u32, 0x1F0D_3804);
    }

    #[test]
    fn a_flipped_byte_fails_its_murmur_checksum() {
        // Lengths with and without a 1..7-byte tail, so both paths of the hash count.
        let a = archive(&b"xyz".repeat(33));
        let b = [5u8; 61];
        let rh = root((a.len() + b.len()) as u64, 1 << 20, 2, b'-', 1);
        let body = cluster(&rh, &[(a.len() as u32, &a), (61, &b)]);
        let f = file(&[], &rh, &body);
        assert_eq!(read(&f, &limits()).unwrap().wflow, b"xyz".repeat(33));
        // A flip in the second segment's data, then one in its stored checksum.
        let data_at = f.len() - 10;
        let sum_at = f.len() - body.len() + (8 + 8) + 8;
        for at in [data_at, sum_at] {
            let mut bad = f.clone();
            bad[at] ^= 0x40;
            match read(&bad, &limits()) {
                Err(
                    e @ AeaError::ChecksumMismatch {
                        segment: 1,
                        cluster: 0,
                        kind: 1,
                        ..
                    },
                ) => {
                    assert!(e.to_string().contains("MurmurHash64A checksum"), "{e}")
                }
                other => panic!("flip at {at}: {other:?}"),
            }
        }
    }

    #[test]
    fn lzfse_segment() {
        let payload = archive(&b"abcabcabc".repeat(500));
        let mut enc = Vec::new();
        lzfse_rust::encode_bytes(&payload, &mut enc).unwrap();
        assert!(enc.len() < payload.len());
        let rh = root(payload.len() as u64, 1 << 20, 1, b'e', 2);
        let f = file(&[], &rh, &cluster(&rh, &[(payload.len() as u32, &enc)]));
        let got = read(&f, &limits()).unwrap();
        assert_eq!(got.wflow, b"abcabcabc".repeat(500));
    }

    #[test]
    fn lzfse_output_beyond_segment_claim_is_refused() {
        // 1 MiB of zeros compresses to a few bytes; the header claims only 100.
        let mut enc = Vec::new();
        lzfse_rust::encode_bytes(&vec![0u8; 1 << 20], &mut enc).unwrap();
        let rh = root(100, 1 << 20, 1, b'e', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(100, &enc)]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::Lzfse { .. }), "{e:?}");
    }

    #[test]
    fn corrupt_lzfse_is_an_error() {
        let rh = root(100, 1 << 20, 1, b'e', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(100, b"bvx2garbagegarbage")]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::Lzfse { .. }), "{e:?}");
    }

    #[test]
    fn unsupported_compression_names_the_byte() {
        let rh = root(4, 1 << 20, 1, b'z', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(4, b"abcd")]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::UnsupportedCompression(b'z')), "{e:?}");
        assert!(e.to_string().contains("'z'"));
    }

    #[test]
    fn unsupported_checksum() {
        let rh = root(4, 1 << 20, 1, b'-', 9);
        let e = read(&file(&[], &rh, &[]), &limits()).unwrap_err();
        assert!(
            matches!(e, AeaError::UnsupportedChecksum { kind: 9, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn huge_segments_per_cluster_is_truncated_not_allocated() {
        let rh = root(4, 1 << 20, u32::MAX, b'-', 2);
        let e = read(&file(&[], &rh, &[0; 64]), &limits()).unwrap_err();
        assert!(
            matches!(
                e,
                AeaError::Truncated {
                    what: "cluster header",
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn segment_beyond_raw_size() {
        let rh = root(4, 1 << 20, 1, b'-', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(8, b"abcdefgh")]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::BadSegment { .. }), "{e:?}");
    }

    #[test]
    fn segment_data_beyond_file() {
        let rh = root(4, 1 << 20, 1, b'-', 0);
        let mut body = cluster(&rh, &[(4, b"abcd")]);
        body.truncate(body.len() - 2);
        let e = read(&file(&[], &rh, &body), &limits()).unwrap_err();
        assert!(
            matches!(
                e,
                AeaError::Truncated {
                    what: "segment data",
                    need: 4,
                    have: 2,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn empty_clusters_do_not_loop() {
        let rh = root(4, 1 << 20, 1, b'-', 0);
        let e = read(&file(&[], &rh, &cluster(&rh, &[])), &limits()).unwrap_err();
        assert!(matches!(e, AeaError::BadSegment { .. }), "{e:?}");
    }

    #[test]
    fn stored_differs_without_compression() {
        let rh = root(8, 1 << 20, 1, b'-', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(8, b"abcd")]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::BadSegment { .. }), "{e:?}");
    }

    #[test]
    fn no_workflow_entry() {
        let payload = aa_entry("Other.plist", Some(b"x"));
        let rh = root(payload.len() as u64, 1 << 20, 1, b'-', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(payload.len() as u32, &payload)]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::NoWorkflow), "{e:?}");
    }

    #[test]
    fn bad_archive() {
        let payload = b"AA02\x06\0".to_vec();
        let rh = root(payload.len() as u64, 1 << 20, 1, b'-', 0);
        let f = file(&[], &rh, &cluster(&rh, &[(payload.len() as u32, &payload)]));
        let e = read(&f, &limits()).unwrap_err();
        assert!(matches!(e, AeaError::Archive(_)), "{e:?}");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let payload = archive(b"bplist00-ish");
        let rh = root(payload.len() as u64, 1 << 20, 2, b'-', 1);
        let f = file(
            &auth_plist(),
            &rh,
            &cluster(&rh, &[(payload.len() as u32, &payload)]),
        );
        for n in 0..f.len() {
            assert!(read(&f[..n], &limits()).is_err(), "prefix of {n} bytes");
        }
        assert!(read(&f, &limits()).is_ok());
    }
}
