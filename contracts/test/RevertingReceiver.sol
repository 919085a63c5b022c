// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "../QSign.sol";

/// Test contract: requests signatures and reverts in its callback, to show that a failing
/// callback does not lose the signature.
contract RevertingReceiver is QSign {
    uint64 public keyId;

    constructor() payable {}

    function createKey() external returns (uint64) {
        (keyId,) = QKey(bytes("reverting"));
        return keyId;
    }

    function sign(bytes32 hash) external returns (uint64) {
        return QSignHash(keyId, hash);
    }

    function _onQSignResult(uint64, uint8, bytes calldata) internal pure override {
        revert("callback refuses");
    }
}
