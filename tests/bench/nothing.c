/* A C program that does nothing: make bench runs it beside every
 * whole-process figure, as the floor under them.  Starting any program
 * costs this much CPU (the kernel's exec and exit, the dynamic loader,
 * glibc's start-up); on a virtual machine glibc's reading of the CPU's
 * cache sizes, tens of CPUID instructions that each trap to the
 * hypervisor, can be most of it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
int main(void)
{
	return 0;
}
