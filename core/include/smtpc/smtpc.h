/**
 * @file smtpc.h
 * @brief Umbrella header: options, errors, types, port ops and the client.
 */
#ifndef SMTPC_H
#define SMTPC_H

#include "smtpc/opts.h"
#include "smtpc/err.h"
#include "smtpc/types.h"
#include "smtpc/port.h"
#include "smtpc/client.h"

#define SMTPC_VERSION_STRING "0.1.0"
#define SMTPC_VERSION_NUMBER 0x000100

#endif /* SMTPC_H */
