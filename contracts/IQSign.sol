// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title The QSign precompile
/// @notice Built into the QSign chain at a fixed address (`QSIGN_PRECOMPILE` in QSign.sol).
/// Keys belong to the account that calls `requestKey`: a contract's keys are its own, and only
/// it can ask them to sign. Deposits are held from, and refunded to, the caller's balance.
/// Signatures are 65 bytes `r ‖ s ‖ v` with `v` 27 or 28, ready for `ecrecover`.
/// Request status codes: 0 unknown, 1 pending, 2 signed, 3 failed, 4 expired, 5 broadcast
/// (signed, and a relayer reported the transaction included on its destination chain).
interface IQSign {
    /// A key was requested (created, or an existing key for the same caller and path).
    event KeyRequested(address indexed owner, uint64 indexed keyId, address ethAddress);
    /// A signature (or transaction signature) request was created.
    event SignatureRequested(
        address indexed owner, uint64 indexed keyId, uint64 indexed requestId, bytes32 messageHash
    );

    /// A key for `path` owned by the caller, derived on-chain from the validators' root key.
    /// Returns the existing key if the caller already has one for `path`.
    function requestKey(bytes calldata path) external returns (uint64 keyId);

    /// The key's owner, its SEC1 compressed public key (33 bytes) and its Ethereum address.
    function keyInfo(uint64 keyId)
        external
        view
        returns (address owner, bytes memory publicKey, address ethAddress);

    /// Sign `data` hashed by the chain (`hasher` 0 = keccak256, 1 = sha256) with `keyId`.
    /// With `callback`, the caller's `IQSignReceiver.onQSignResult` is called with the result.
    function requestSignatureData(uint64 keyId, bytes calldata data, uint8 hasher, bool callback)
        external
        returns (uint64 requestId);

    /// Sign the 32-byte `hash` as is with `keyId`.
    function requestSignatureHash(uint64 keyId, bytes32 hash, bool callback)
        external
        returns (uint64 requestId);

    /// Sign the unsigned EVM transaction `unsignedTx` (legacy EIP-155 RLP, or `0x02 ‖ RLP` for
    /// EIP-1559) for chain `chainId`; relayers broadcast the signed transaction.
    function requestBroadcast(uint64 keyId, uint64 chainId, bytes calldata unsignedTx, bool callback)
        external
        returns (uint64 requestId);

    /// A request's status, the hash that is signed, the signature (empty until signed) and,
    /// for broadcast requests, the signed transaction's hash (zero until signed).
    function requestStatus(uint64 requestId)
        external
        view
        returns (uint8 status, bytes32 messageHash, bytes memory signature, bytes32 txHash);
}

/// @notice Implemented by contracts that request with `callback = true`. Called by the chain,
/// with `msg.sender` = the QSign precompile, when a request is signed (status 2) or failed
/// (status 3, empty signature). A reverting callback does not lose the result: it stays
/// readable with `requestStatus`. Expired requests are not called back.
interface IQSignReceiver {
    function onQSignResult(uint64 requestId, uint8 status, bytes calldata signature) external;
}
