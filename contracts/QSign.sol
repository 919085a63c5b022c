// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./IQSign.sol";

// The QSign precompile's address (pallet-revive `AddressMatcher::Fixed(0x0A51)`).
IQSign constant QSIGN_PRECOMPILE = IQSign(0x000000000000000000000000000000000A510000);

/// @title QSign, the instructor contract
/// @notice Inherit it to own keys on other chains: `QKey` creates a key owned by *this*
/// contract, `QSignData` / `QSignHash` / `QSignTx` ask the validators to sign with it, and the
/// result arrives in `_onQSignResult` (callback) and as a `QSignResult` event. Every request
/// emits an event with its id. Deposits are held from this contract's balance, so fund it
/// (the functions of a derived contract may be `payable`).
abstract contract QSign is IQSignReceiver {
    /// Which hash the chain applies to data before signing.
    enum Hasher {
        Keccak256,
        Sha256
    }

    /// Request status codes, as returned by the precompile.
    uint8 internal constant STATUS_PENDING = 1;
    uint8 internal constant STATUS_SIGNED = 2;
    uint8 internal constant STATUS_FAILED = 3;
    uint8 internal constant STATUS_EXPIRED = 4;
    uint8 internal constant STATUS_BROADCAST = 5;

    /// A key owned by this contract was requested.
    event QKeyRequested(uint64 indexed keyId, bytes path, address ethAddress);
    /// A signature request was made with the key.
    event QSignRequested(uint64 indexed requestId, uint64 indexed keyId, bytes32 messageHash);
    /// A transaction signature request was made for chain `chainId`.
    event QSignTxRequested(uint64 indexed requestId, uint64 indexed keyId, uint64 chainId);
    /// The validators answered request `requestId` (2 = signed, 3 = failed).
    event QSignResult(uint64 indexed requestId, uint8 status, bytes signature);

    /// `onQSignResult` was called by someone other than the chain.
    error NotQSign(address caller);

    /// A new key (or this contract's existing key) for `path`; returns its id and Ethereum
    /// address.
    function QKey(bytes memory path) internal returns (uint64 keyId, address ethAddress) {
        keyId = QSIGN_PRECOMPILE.requestKey(path);
        (,, ethAddress) = QSIGN_PRECOMPILE.keyInfo(keyId);
        emit QKeyRequested(keyId, path, ethAddress);
    }

    /// Sign `data`, hashed on-chain with `hasher`, with key `keyId`; the result is called back.
    function QSignData(uint64 keyId, bytes memory data, Hasher hasher) internal returns (uint64 requestId) {
        requestId = QSIGN_PRECOMPILE.requestSignatureData(keyId, data, uint8(hasher), true);
        emit QSignRequested(
            requestId, keyId, hasher == Hasher.Keccak256 ? keccak256(data) : sha256(data)
        );
    }

    /// Sign the 32-byte `hash` with key `keyId`; the result is called back.
    function QSignHash(uint64 keyId, bytes32 hash) internal returns (uint64 requestId) {
        requestId = QSIGN_PRECOMPILE.requestSignatureHash(keyId, hash, true);
        emit QSignRequested(requestId, keyId, hash);
    }

    /// Sign the unsigned EVM transaction `unsignedTx` for chain `chainId` with key `keyId`;
    /// relayers (the Cross-Chain Oracle) broadcast it. The signature is called back; the tx
    /// hash is in `QSIGN_PRECOMPILE.requestStatus`.
    function QSignTx(uint64 keyId, uint64 chainId, bytes memory unsignedTx) internal returns (uint64 requestId) {
        requestId = QSIGN_PRECOMPILE.requestBroadcast(keyId, chainId, unsignedTx, true);
        emit QSignTxRequested(requestId, keyId, chainId);
    }

    /// The chain's callback: checks the caller, emits `QSignResult`, then runs the contract's
    /// own handler.
    function onQSignResult(uint64 requestId, uint8 status, bytes calldata signature) external {
        if (msg.sender != address(QSIGN_PRECOMPILE)) revert NotQSign(msg.sender);
        emit QSignResult(requestId, status, signature);
        _onQSignResult(requestId, status, signature);
    }

    /// Override to act on results. The default does nothing (results stay readable with
    /// `QSIGN_PRECOMPILE.requestStatus`).
    function _onQSignResult(uint64 requestId, uint8 status, bytes calldata signature) internal virtual {}
}
