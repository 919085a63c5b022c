// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./QSign.sol";

/// @title A vault on other chains with an on-chain policy
/// @notice The vault owns one QSign key (an Ethereum/Bitcoin address on other chains). Only
/// its owner may have the validators sign with it, at most `maxSignaturesPerDay` times a day,
/// and the signatures land in this contract's storage by callback.
contract QSignVault is QSign {
    address public immutable owner;
    uint32 public immutable maxSignaturesPerDay;
    uint64 public keyId;
    address public vaultAddress;
    bool public hasKey;

    uint256 private day;
    uint32 private signedToday;

    /// Signatures received by callback, by request id.
    mapping(uint64 => bytes) public signatures;
    /// Status received by callback, by request id (0 = none yet).
    mapping(uint64 => uint8) public results;

    error NotOwner(address caller);
    error NoKey();
    error DailyLimitReached(uint32 limit);

    constructor(uint32 maxPerDay) payable {
        owner = msg.sender;
        maxSignaturesPerDay = maxPerDay;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// Deposits for keys and requests come from the vault's balance.
    receive() external payable {}

    /// Creates the vault's key (once); its Ethereum address is `vaultAddress`.
    function createKey() external payable onlyOwner returns (uint64, address) {
        (keyId, vaultAddress) = QKey(bytes("vault"));
        hasKey = true;
        return (keyId, vaultAddress);
    }

    /// Has the validators sign `hash` (e.g. a withdrawal message) with the vault's key.
    function signHash(bytes32 hash) external payable onlyOwner returns (uint64) {
        _spendDailyAllowance();
        return QSignHash(keyId, hash);
    }

    /// Has the validators sign a withdrawal transaction for chain `chainId`.
    function signWithdrawal(uint64 chainId, bytes calldata unsignedTx) external payable onlyOwner returns (uint64) {
        _spendDailyAllowance();
        return QSignTx(keyId, chainId, unsignedTx);
    }

    function _spendDailyAllowance() private {
        if (!hasKey) revert NoKey();
        uint256 today = block.timestamp / 1 days;
        if (today != day) {
            day = today;
            signedToday = 0;
        }
        if (signedToday >= maxSignaturesPerDay) revert DailyLimitReached(maxSignaturesPerDay);
        signedToday += 1;
    }

    function _onQSignResult(uint64 requestId, uint8 status, bytes calldata signature) internal override {
        results[requestId] = status;
        signatures[requestId] = signature;
    }
}
