/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `ipc` command: the whole command line is ipc_host_main()
 * (lua/host/ipc_host.c), so a program that embeds the host gets the same.
 */
#include "ipc/host.h"

int main(int argc, char **argv)
{
	return ipc_host_main(argc, argv);
}
